/**
 * `deno task compare NAME A B`: are the faces in two photos the same person? With `--pairs
 * LIST.tsv`, many pairs at once, written as TSV or JSON.
 * @module
 */
import { artifactsRoot, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { FaceComparer } from "../lib/compare/face_comparer.ts";
import { readFaceImage } from "../lib/compare/face_image.ts";
import type { PixelBox } from "../lib/data/face_preprocessing.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
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
import { assertFilePath } from "../lib/util/cli.ts";
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
model and threshold of experiment NAME. 250x250 photos get the LFWcrop box; other sizes get it
scaled to their largest centred square; PGM faces of the prepared size are used as they are.
  --box L,T,R,B     the face region in pixels (left, top, right, bottom; right and bottom
                    exclusive, as prepare's --box), for every image
  --pairs FILE      a list of pairs: two paths per line, tab-separated (relative to the list),
                    and optionally a label (1/same/true or 0/different/false): then accuracy,
                    AUC and the confusion counts of the list are printed too. A bad line or
                    unreadable image is reported with its line number; the others are scored,
                    and the exit code is 1 at the end.
  --threshold T     decide at T instead of the experiment's validation-chosen threshold
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

await runTask("compare", async () => {
  const args = parseTaskArgs(Deno.args, {
    box: { type: "string" },
    pairs: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    threshold: { type: "string" },
    backend: { type: "string" },
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
  if (out !== undefined) assertFilePath(out, "--out");
  const box = parseBox(stringOption(args, "box"));
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
  const decideAt = threshold ?? comparer.threshold;
  const header = {
    experiment: name,
    threshold: decideAt,
    threshold_source: threshold === undefined
      ? `${comparer.thresholdSource} of ${name}`
      : "--threshold",
  };
  // Each pair is read on its own: an unreadable image fails that pair, not the list.
  const results: PairResult[] = [];
  const scored: { index: number; faces: [Uint8Array, Uint8Array] }[] = [];
  for (const entry of lines) {
    const result: PairResult = {
      line: entry.line,
      a: entry.a ?? "",
      b: entry.b ?? "",
      label: entry.label ?? null,
      probability: null,
      same_person: null,
      error: entry.error ?? null,
    };
    results.push(result);
    if (entry.error) continue;
    try {
      scored.push({
        index: results.length - 1,
        faces: [
          await readFaceImage(entry.a!, comparer.prepare, { box }),
          await readFaceImage(entry.b!, comparer.prepare, { box }),
        ],
      });
    } catch (error) {
      if (!list || !(error instanceof UserError)) throw error;
      result.error = `${list}:${entry.line}: ${error.message}`;
    }
  }
  if (scored.length > 0) {
    const probabilities = await comparer.compare(scored.map((s) => s.faces));
    scored.forEach((s, k) => {
      results[s.index].probability = probabilities[k];
      results[s.index].same_person = probabilities[k] >= decideAt;
    });
  }
  if (!list && stringOption(args, "out") === undefined && format === "tsv") {
    const r = results[0];
    console.log(
      `${r.same_person ? "same person" : "different people"}: probability ${
        r.probability!.toFixed(4)
      }, threshold ${decideAt.toFixed(4)} (${header.threshold_source})`,
    );
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
