/**
 * `deno task compare NAME A B`: are the faces in two photos the same person? With `--pairs
 * LIST.tsv`, many pairs at once, written as TSV or JSON.
 * @module
 */
import { artifactsRoot, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { basename, join, resolve } from "node:path";
import sharp from "sharp";
import { canonicalLandmarksFor } from "../lib/config/canonical_landmarks.ts";
import { FaceComparer } from "../lib/compare/face_comparer.ts";
import { DETECTOR_KINDS, FaceDetector } from "../lib/compare/face_detector.ts";
import {
  describeReading,
  type FaceImageOptions,
  type FaceReading,
  readFace,
  regionCell,
} from "../lib/compare/face_image.ts";
import type { PixelBox } from "../lib/data/face_preprocessing.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { assertCompareResultsReplaceable } from "../lib/pipeline/output_guard.ts";
import { writeFileAtomic } from "../lib/util/atomic.ts";
import {
  choiceOption,
  parseTaskArgs,
  pathOption,
  runTask,
  stringOption,
  userPath,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { assertFilePath, assertNoFileAbove } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";
import {
  describeSummary,
  formatResults,
  type PairLine,
  type PairResult,
  parsePairList,
  summarizeLabelled,
} from "../lib/compare/pair_list.ts";

const HELP = `Usage: deno task compare NAME A B [options]
       deno task compare NAME --pairs LIST.tsv [options]
Says whether two photos (JPEG, PNG, WebP or PGM, any size) show the same person, with the
model and threshold of experiment NAME. Each photo's faces are detected with their landmarks
(@vladmandic/face-api's SSD MobileNet v1 and 68-point landmark models, shipped in the npm
package and run offline), the largest face is aligned to the frame the model was trained in
(eyes, nose tip and mouth corners onto their mean positions in LFW's images) and the model's
own crop is read from it. A photo without a face is an error for that photo, never a verdict.
PGM files are LFWcrop faces already cut and are read whole. The face region read and the
detector's score are printed for each photo.
  --no-detect       no detection: the model's crop box scaled to the photo's largest centred
                    square (right for LFW-framed 250x250 photos; the behaviour before detection)
  --face N[,M]      use the N-th face found (largest first) in every photo, or N in the first
                    and M in the second photo of a pair (default 1: the largest)
  --save-crops DIR  write the crops the model read (aligned, grey, the prepared size) as PNGs
  --box L,T,R,B     the face region in pixels (left, top, right, bottom; right and bottom
                    exclusive, as prepare's --box), for every image; no detection
  --detector D      ${
  DETECTOR_KINDS.join(" | ")
} (default ssd; tiny is faster and smaller, and misses more)
  --pairs FILE      a list of pairs: two paths per line, tab-separated (relative to the list),
                    and optionally a label (1/same/true or 0/different/false): then accuracy,
                    AUC and the confusion counts of the list are printed too. A bad line,
                    unreadable image or photo without a face is reported with its line number;
                    the others are scored, and the exit code is 1 at the end.
  --threshold T     decide at T instead of the experiment's validation-chosen threshold
                    (probabilities are calibrated on the experiment's validation pairs, so
                    0.5 is a sensible choice)
  --format F        tsv | json (default tsv; the same field names in both)
  --out FILE        write the results there instead of standard output
  --backend B       ${BACKEND_CHOICES.join(" | ")} (default ${TRAIN_DEFAULTS.backend})`;

function parseBox(text: string | undefined): PixelBox | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",").map((p) => Number(p.trim()));
  if (
    parts.length !== 4 || parts.some((p) => !Number.isFinite(p)) || parts[2] <= parts[0] ||
    parts[3] <= parts[1]
  ) {
    throw new UserError(
      `--box: "${text}" is not left,top,right,bottom in pixels with right > left and bottom > top`,
    );
  }
  return parts as PixelBox;
}

function parseFace(text: string | undefined): [number, number] {
  if (text === undefined) return [1, 1];
  const parts = text.split(",").map((p) => p.trim());
  const n = parts.map(Number);
  if (
    (parts.length !== 1 && parts.length !== 2) ||
    n.some((v, i) => !/^\d+$/.test(parts[i]) || v < 1)
  ) {
    throw new UserError(`--face: "${text}" is not N or N,M with N and M from 1 (largest first)`);
  }
  return [n[0], n[n.length - 1]];
}

/** A crop's file name for --save-crops: `[line_]side_name.png`. */
function cropName(line: number, side: "a" | "b", path: string): string {
  const name = basename(path).replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "_");
  return `${line > 0 ? `${String(line).padStart(4, "0")}_` : ""}${side}_${name}.png`;
}

await runTask("compare", async () => {
  const args = parseTaskArgs(Deno.args, {
    box: { type: "string" },
    pairs: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    threshold: { type: "string" },
    backend: { type: "string" },
    "no-detect": { type: "boolean" },
    face: { type: "string" },
    "save-crops": { type: "string" },
    detector: { type: "string" },
  });
  if (args.values.help) return console.log(HELP);
  const [nameArg, ...images] = args.positionals;
  const name = validateExperimentName(nameArg);
  const list = pathOption(args, "pairs");
  if (list === undefined && images.length !== 2) {
    throw new UserError("give two image files, or --pairs LIST.tsv");
  }
  if (list !== undefined && images.length > 0) {
    throw new UserError("give either two image files or --pairs, not both");
  }
  const format = choiceOption(args, "format", ["tsv", "json"] as const) ?? "tsv";
  const out = pathOption(args, "out");
  if (out !== undefined) {
    assertFilePath(out, "--out");
    if (list !== undefined && resolve(out) === resolve(list)) {
      throw new UserError(`--out ${out} is the pair list itself; give another file name`);
    }
    await assertCompareResultsReplaceable(out);
  }
  const box = parseBox(stringOption(args, "box"));
  const noDetect = Boolean(args.values["no-detect"]);
  const faceOption = stringOption(args, "face");
  if (faceOption !== undefined && (noDetect || box)) {
    throw new UserError("--face picks among detected faces: not with --no-detect or --box");
  }
  const faceIndex = parseFace(faceOption);
  const detectorKind = choiceOption(args, "detector", DETECTOR_KINDS) ?? "ssd";
  const saveCrops = pathOption(args, "save-crops");
  if (saveCrops !== undefined) assertNoFileAbove(join(saveCrops, "x.png"), "--save-crops");
  const thresholdText = stringOption(args, "threshold");
  const threshold = thresholdText === undefined ? undefined : Number(thresholdText);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    throw new UserError(`--threshold: "${thresholdText}" is not a probability between 0 and 1`);
  }
  let lines: PairLine[];
  if (list) {
    let text: string;
    try {
      text = await Deno.readTextFile(list);
    } catch {
      throw new UserError(`pair list not found or unreadable: ${list}`);
    }
    lines = parsePairList(text, list);
    if (lines.length === 0) throw new UserError(`no pairs in ${list}`);
  } else {
    lines = [{ line: 0, a: userPath(images[0]), b: userPath(images[1]) }];
  }
  const comparer = await FaceComparer.open(new ArtifactStore(artifactsRoot()), name, {
    backend: choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend,
  });
  if (comparer.nearChance) {
    console.error(
      `compare: warning: experiment "${name}" scored no better than chance on its validation pairs; its verdicts are guesses`,
    );
  }
  const detect = !noDetect && !box;
  const detector = detect ? await FaceDetector.open({ kind: detectorKind }) : undefined;
  const canonical = canonicalLandmarksFor(comparer.imagesDir);
  const faces = detector
    ? `detected by ${detector.describe()}; aligned to the ${canonical.name} landmarks`
    : box
    ? `--box ${box.join(",")}`
    : "the model's box of the centred square (--no-detect)";
  // Probabilities are calibrated on the validation pairs; the experiment's threshold is mapped
  // onto that scale (the same verdicts), and --threshold is given on it.
  const decideAt = threshold ?? comparer.calibratedThreshold;
  const calibration = comparer.calibration;
  const header = {
    experiment: name,
    threshold: decideAt,
    threshold_source: threshold === undefined
      ? `${comparer.thresholdSource} of ${name}`
      : "--threshold",
    probability: calibration
      ? `calibrated on ${calibration.pairs} validation pairs (Platt scaling; expected calibration error ${
        calibration.eceBefore.toFixed(3)
      } -> ${calibration.eceAfter.toFixed(3)}, cross-fitted)`
      : "the model's own score (no calibration fitted)",
    faces,
  };
  const readOptions: FaceImageOptions = {
    box,
    detector,
    canonical: canonical.points,
    inputSize: comparer.inputSize,
  };
  if (saveCrops !== undefined) await Deno.mkdir(saveCrops, { recursive: true });
  // Each image is read on its own: an unreadable image, or one without a face, fails its pair,
  // not the list.
  const results: PairResult[] = [];
  const readings: (FaceReading | string)[][] = [];
  const scored: { index: number; faces: [Uint8Array, Uint8Array] }[] = [];
  for (const entry of lines) {
    const result: PairResult = {
      line: entry.line,
      a: entry.a ?? "",
      b: entry.b ?? "",
      label: entry.label ?? null,
      probability: null,
      same_person: null,
      a_score: null,
      a_region: null,
      b_score: null,
      b_region: null,
      warnings: null,
      error: entry.error ?? null,
    };
    results.push(result);
    readings.push([]);
    if (entry.error) continue;
    const pair: (FaceReading | string)[] = [];
    const warnings: string[] = [];
    for (const [k, path] of [entry.a!, entry.b!].entries()) {
      const side = k === 0 ? "a" : "b";
      try {
        const reading = await readFace(path, comparer.prepare, {
          ...readOptions,
          face: faceIndex[k],
        });
        pair.push(reading);
        result[`${side}_score`] = reading.score;
        result[`${side}_region`] = regionCell(reading.region);
        warnings.push(...reading.warnings.map((w) => `${side}: ${w}`));
        if (saveCrops !== undefined) {
          const size = comparer.prepare.size;
          await sharp(reading.face, { raw: { width: size, height: size, channels: 1 } })
            .toColourspace("b-w")
            .png()
            .toFile(join(saveCrops, cropName(entry.line, side, path)));
        }
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        pair.push(error.message);
      }
    }
    readings[readings.length - 1] = pair;
    if (warnings.length > 0) result.warnings = warnings.join("; ");
    const failed = pair.filter((r): r is string => typeof r === "string");
    if (failed.length > 0) {
      result.error = (list ? failed.map((m) => `${list}:${entry.line}: ${m}`) : failed).join("; ");
      continue;
    }
    scored.push({
      index: results.length - 1,
      faces: [(pair[0] as FaceReading).face, (pair[1] as FaceReading).face],
    });
  }
  if (scored.length > 0) {
    const probabilities = comparer.calibrated(await comparer.compare(scored.map((s) => s.faces)));
    scored.forEach((s, k) => {
      results[s.index].probability = probabilities[k];
      results[s.index].same_person = probabilities[k] >= decideAt;
    });
  }
  if (!list && stringOption(args, "out") === undefined && format === "tsv") {
    const r = results[0];
    const pair = readings[0];
    // Which region of each photo was read, then the verdict; a photo that could not be read
    // (or shows no face) is a one-line error, and there is no verdict.
    pair.forEach((reading, k) => {
      const path = k === 0 ? r.a : r.b;
      if (typeof reading === "string") return;
      console.log(`${k === 0 ? "a" : "b"}: ${path}: ${describeReading(reading)}`);
      for (const w of reading.warnings) {
        console.error(`compare: warning: ${k === 0 ? "a" : "b"}: ${path}: ${w}`);
      }
    });
    const failed = pair.filter((m): m is string => typeof m === "string");
    if (failed.length > 0) {
      for (const m of failed.slice(0, -1)) console.error(`compare: error: ${m}`);
      throw new UserError(failed[failed.length - 1]);
    }
    console.log(
      `${r.same_person ? "same person" : "different people"}: probability ${
        r.probability!.toFixed(4)
      }${calibration ? " (calibrated)" : ""}, threshold ${
        decideAt.toFixed(4)
      } (${header.threshold_source})`,
    );
    if (saveCrops !== undefined) console.log(`crops written to ${saveCrops}`);
    return;
  }
  const summary = summarizeLabelled(results, decideAt);
  const text = formatResults(format, header, results, summary);
  // Messages go to stderr when the results go to stdout, so the output stays parseable.
  const say = out ? console.log : console.error;
  if (out) {
    await writeFileAtomic(out, new TextEncoder().encode(text));
    say(`compare: ${results.length} pair(s) written to ${out}`);
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
  if (summary) say(`compare: ${describeSummary(summary)}`);
  const failed = results.filter((r) => r.error !== null);
  if (failed.length > 0) {
    for (const f of failed.slice(0, 10)) console.error(`compare: error: ${f.error}`);
    throw new UserError(
      `${failed.length} of ${results.length} pair(s) could not be compared (lines ${
        failed.slice(0, 10).map((f) => f.line).join(", ")
      }${failed.length > 10 ? ", ..." : ""}); they are listed with their error in the output`,
    );
  }
});
