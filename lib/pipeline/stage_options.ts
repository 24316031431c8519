/**
 * Command-line options of the data stages, shared by every task that runs them (`prepare`,
 * `split`, `train`...), with their defaults from `lib/config/defaults.ts`.
 * @module
 */
import {
  defaultImagesDir,
  defaultProtocolFiles,
  PREPARE_DEFAULTS,
  type PrepareParams,
  PROTOCOLS,
  SPLIT_DEFAULTS,
} from "../config/defaults.ts";
import {
  choiceOption,
  intOption,
  numberOption,
  type OptionSpec,
  type ParsedArgs,
  pathOption,
  stringOption,
} from "../util/cli.ts";
import { UserError } from "../util/errors.ts";
import { LFW_FRAME, MIN_FACE_SIDE } from "../data/crop_box.ts";
import type { PrepareOptions } from "./prepare_stage.ts";
import type { SplitOptions } from "./split_stage.ts";

/** Options of the `prepare` stage. */
export const PREPARE_OPTIONS: OptionSpec = {
  images: { type: "string" },
  box: { type: "string" },
  size: { type: "string" },
  colour: { type: "boolean" },
  "skip-bad": { type: "boolean" },
};

/** Help text of {@linkcode PREPARE_OPTIONS}. */
export const PREPARE_HELP = `
  --images DIR     LFW per-person JPEG folders or an LFWcrop_grey faces/ folder
                   (default: ${defaultImagesDir()})
  --box L,T,R,B    crop box in the 250x250 LFW frame, scaled to each image (default
                   ${PREPARE_DEFAULTS.box.join(",")}: LFWcrop's)
  --size N         output side in pixels (default ${PREPARE_DEFAULTS.size})
  --colour         keep 3 colour channels instead of grey
  --skip-bad       skip unusable images (corrupt, too large, badly named, two files of one
                   image) with a warning each instead of failing`;

/** Options of the `split` stage. */
export const SPLIT_OPTIONS: OptionSpec = {
  protocol: { type: "string" },
  seed: { type: "string" },
  "val-pairs": { type: "string" },
  "train-pairs": { type: "string" },
  "test-pairs": { type: "string" },
  fold: { type: "string" },
  "val-people-share": { type: "string" },
  "pairs-file": { type: "string" },
  "people-file": { type: "string" },
};

/** Help text of {@linkcode SPLIT_OPTIONS}. */
export const SPLIT_HELP = `
  --protocol P     ${PROTOCOLS.join(" | ")} (default ${SPLIT_DEFAULTS.protocol})
  --seed N         sampler seed (default ${SPLIT_DEFAULTS.seed})
  --val-pairs N    validation pairs, even (default ${SPLIT_DEFAULTS.valPairs})
  --train-pairs N  training pairs, even (default ${SPLIT_DEFAULTS.trainPairs})
  --test-pairs N   test pairs for the seed protocol, even (default ${SPLIT_DEFAULTS.testPairs})
  --fold K         lfw-view2 test fold, 1..10
  --val-people-share S  lfw protocols: share of the training people held out of training for
                   the validation pairs (default ${SPLIT_DEFAULTS.valPeopleShare})
  --pairs-file F   protocol pairs file (default: the shared pairsDevTest.txt or pairs.txt)
  --people-file F  protocol people file (default: the shared peopleDevTrain.txt or people.txt)`;

/** Reads the `prepare` options. */
export function readPrepareOptions(args: ParsedArgs, force = false): PrepareOptions {
  const params: PrepareParams = { ...PREPARE_DEFAULTS, box: [...PREPARE_DEFAULTS.box] };
  const box = stringOption(args, "box");
  if (box !== undefined) {
    const parts = box.split(",").map((p) => Number(p.trim()));
    if (
      parts.length !== 4 || parts.some((p) => !Number.isFinite(p)) || parts[2] <= parts[0] ||
      parts[3] <= parts[1]
    ) {
      throw new UserError(
        `--box: "${box}" is not left,top,right,bottom with right > left and bottom > top`,
      );
    }
    // A box outside the frame (or too small in it) fits no image: refused here, not blamed on
    // every image as it is cut.
    const outside = (["left", "top", "right", "bottom"] as const)
      .filter((_, i) => parts[i] < 0 || parts[i] > LFW_FRAME);
    if (outside.length > 0) {
      throw new UserError(
        `--box ${box}: ${outside.join(" and ")} outside the ${LFW_FRAME}x${LFW_FRAME} LFW frame ` +
          `the box is given in (0..${LFW_FRAME}; it is scaled to each image from there)`,
      );
    }
    const [width, height] = [parts[2] - parts[0], parts[3] - parts[1]];
    if (width < MIN_FACE_SIDE || height < MIN_FACE_SIDE) {
      throw new UserError(
        `--box ${box}: a ${width}x${height} box is too small to cut a face from (at least ` +
          `${MIN_FACE_SIDE} px a side in the ${LFW_FRAME}x${LFW_FRAME} frame; ${
            Math.ceil(MIN_FACE_SIDE * LFW_FRAME / 150)
          } for the 150x150 copy)`,
      );
    }
    params.box = parts as PrepareParams["box"];
  }
  params.size = intOption(args, "size", { min: 8, max: 1024 }) ?? params.size;
  params.grey = !args.values.colour;
  params.skipBad = Boolean(args.values["skip-bad"]);
  return { images: pathOption(args, "images") ?? defaultImagesDir(), params, force };
}

/** Reads the `split` options (and the `prepare` options it depends on). */
export function readSplitOptions(args: ParsedArgs, force = false): SplitOptions {
  const protocol = choiceOption(args, "protocol", PROTOCOLS) ?? SPLIT_DEFAULTS.protocol;
  const files = defaultProtocolFiles();
  const pairsFile = pathOption(args, "pairs-file");
  const peopleFile = pathOption(args, "people-file");
  if (protocol === "seed") {
    for (const option of ["fold", "pairs-file", "people-file", "val-people-share"]) {
      if (stringOption(args, option) !== undefined) {
        throw new UserError(
          `--${option} is for the LFW protocols (lfw-view1, lfw-view2), not --protocol seed`,
        );
      }
    }
  }
  if (protocol === "lfw-view1" && stringOption(args, "fold") !== undefined) {
    throw new UserError("--fold is for --protocol lfw-view2 (View 1 has one test set)");
  }
  if (pairsFile) files[protocol === "lfw-view1" ? "pairsDevTest" : "pairs"] = pairsFile;
  if (peopleFile) files[protocol === "lfw-view1" ? "peopleDevTrain" : "people"] = peopleFile;
  return {
    prepare: readPrepareOptions(args),
    params: {
      protocol,
      seed: intOption(args, "seed", { min: 0, max: 2 ** 32 - 1 }) ?? SPLIT_DEFAULTS.seed,
      valPairs: intOption(args, "val-pairs", { min: 0 }) ?? SPLIT_DEFAULTS.valPairs,
      trainPairs: intOption(args, "train-pairs", { min: 2 }) ?? SPLIT_DEFAULTS.trainPairs,
      testPairs: intOption(args, "test-pairs", { min: 0 }) ?? SPLIT_DEFAULTS.testPairs,
      fold: intOption(args, "fold", { min: 1, max: 10 }),
      valPeopleShare: numberOption(args, "val-people-share", { min: 0, max: 1 }) ??
        SPLIT_DEFAULTS.valPeopleShare,
    },
    protocolFiles: files,
    force,
  };
}
