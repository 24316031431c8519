/**
 * `deno task landmarks`: the canonical landmark positions `compare` aligns faces to, measured
 * by running the face detector over a sample of the training people's LFW images. Prints the
 * means (and their spread) and the TypeScript literal that `lib/config/canonical_landmarks.ts`
 * holds; reads the images only.
 * @module
 */
import { join } from "node:path";
import { defaultImagesDir, defaultProtocolFiles } from "../lib/config/defaults.ts";
import { selectBackend } from "../lib/backend/select_backend.ts";
import { DETECTOR_KINDS, FaceDetector } from "../lib/compare/face_detector.ts";
import { calibrateLandmarks } from "../lib/compare/landmark_calibration.ts";
import { LANDMARK_NAMES } from "../lib/data/face_alignment.ts";
import { detectImageSource } from "../lib/data/image_source.ts";
import { parsePeopleFile } from "../lib/data/lfw_protocol.ts";
import { Progress } from "../lib/util/progress.ts";
import { Rng } from "../lib/util/rng.ts";
import { choiceOption, intOption, parseTaskArgs, pathOption, runTask } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task landmarks [options]
Runs the face detector over a random sample of the training people's images (View 1's
peopleDevTrain.txt), framed as prepare frames them (the largest centred square as LFW's
250x250 frame), and prints the mean position of each alignment landmark: the canonical
positions of lib/config/canonical_landmarks.ts.
  --images DIR     LFW image folder (default: ${defaultImagesDir()})
  --people FILE    people whose images are sampled (default: View 1's peopleDevTrain.txt)
  --sample N       images sampled (default 600)
  --seed S         sampling seed (default 1)
  --detector D     ${DETECTOR_KINDS.join(" | ")} (default ssd)`;

await runTask("landmarks", async () => {
  const args = parseTaskArgs(Deno.args, {
    images: { type: "string" },
    people: { type: "string" },
    sample: { type: "string" },
    seed: { type: "string" },
    detector: { type: "string" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
  }
  const images = pathOption(args, "images") ?? defaultImagesDir();
  const peopleFile = pathOption(args, "people") ?? defaultProtocolFiles().peopleDevTrain;
  const sample = intOption(args, "sample", { min: 1 }) ?? 600;
  const seed = intOption(args, "seed", { min: 0 }) ?? 1;
  const kind = choiceOption(args, "detector", DETECTOR_KINDS) ?? "ssd";
  const people = new Set(
    parsePeopleFile(await Deno.readTextFile(peopleFile), peopleFile).flat().map((p) => p.person),
  );
  const source = detectImageSource(images);
  if (source.kind !== "lfw-jpeg") throw new UserError(`${images}: LFW JPEG folders expected`);
  const files = new Rng(seed).shuffle(
    source.images.filter((i) => people.has(i.person)).map((i) => join(source.dir, i.file)),
  ).slice(0, sample);
  await selectBackend("wasm", { log: () => {} });
  const detector = await FaceDetector.open({ kind });
  const progress = new Progress("landmarks", files.length, { unit: "images" });
  const result = await calibrateLandmarks(detector, files, {
    onImage: () => progress.advance(),
  });
  progress.finish();
  console.log(
    `landmarks: ${detector.describe()} over ${result.images} images of ${images} ` +
      `(people of ${peopleFile}, seed ${seed}): a centred face in ${result.detected}, mean score ${
        result.meanScore.toFixed(3)
      }`,
  );
  result.mean.forEach(([x, y], i) => {
    const [sx, sy] = result.sd[i];
    console.log(
      `  ${LANDMARK_NAMES[i].padEnd(19)} ${x.toFixed(2)}, ${y.toFixed(2)}  (sd ${sx.toFixed(2)}, ${
        sy.toFixed(2)
      })`,
    );
  });
  console.log(
    `  literal: [${result.mean.map(([x, y]) => `[${x.toFixed(2)}, ${y.toFixed(2)}]`).join(", ")}]`,
  );
});
