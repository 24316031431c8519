/**
 * `deno task compare NAME A B`: are the faces in two photos the same person? With `--pairs
 * LIST.tsv`, many pairs at once, written as TSV or JSON.
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { artifactsRoot, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { FaceComparer } from "../lib/compare/face_comparer.ts";
import { readFaceImage } from "../lib/compare/face_image.ts";
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

const HELP = `Usage: deno task compare NAME A B [options]
       deno task compare NAME --pairs LIST.tsv [options]
Says whether two photos (JPEG, PNG, WebP or PGM, any size) show the same person, with the
model and threshold of experiment NAME. 250x250 photos get the LFWcrop box; other sizes get it
scaled to their largest centred square; PGM faces of the prepared size are used as they are.
  --box X,Y,W,H     the face region in pixels, for every image
  --pairs FILE      a list of pairs: two paths per line, tab-separated (relative to the list)
  --format F        tsv | json (default tsv)
  --out FILE        write the results there instead of standard output
  --backend B       ${BACKEND_CHOICES.join(" | ")} (default ${TRAIN_DEFAULTS.backend})`;

function parseBox(text: string | undefined): [number, number, number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",").map((p) => Number(p.trim()));
  if (
    parts.length !== 4 || parts.some((p) => !Number.isFinite(p)) || parts[2] <= 0 || parts[3] <= 0
  ) {
    throw new UserError(`--box: "${text}" is not x,y,width,height with positive width and height`);
  }
  return parts as [number, number, number, number];
}

async function readPairList(path: string): Promise<[string, string][]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new UserError(`pair list not found or unreadable: ${path}`);
  }
  const base = dirname(path);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const pairs: [string, string][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const fields = line.split("\t").map((f) => f.trim());
    if (fields.length !== 2 || !fields[0] || !fields[1]) {
      throw new UserError(
        `${path}:${i + 1}: expected two tab-separated image paths, found "${line}"`,
      );
    }
    pairs.push([resolve(fields[0]), resolve(fields[1])]);
  });
  if (pairs.length === 0) throw new UserError(`no pairs in ${path}`);
  return pairs;
}

await runTask("compare", async () => {
  const args = parseTaskArgs(Deno.args, {
    box: { type: "string" },
    pairs: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
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
  const pairs = list
    ? await readPairList(list)
    : [[userPath(images[0]), userPath(images[1])] as [string, string]];
  const comparer = await FaceComparer.open(new ArtifactStore(artifactsRoot()), name, {
    backend: choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend,
  });
  if (comparer.nearChance) {
    console.error(
      `compare: warning: experiment "${name}" scored no better than chance on its validation pairs; its verdicts are guesses`,
    );
  }
  const faces: [Uint8Array, Uint8Array][] = [];
  for (const [a, b] of pairs) {
    faces.push([
      await readFaceImage(a, comparer.prepare, { box }),
      await readFaceImage(b, comparer.prepare, { box }),
    ]);
  }
  const probabilities = comparer.compare(faces);
  const results = pairs.map(([a, b], i) => ({
    a,
    b,
    probability: probabilities[i],
    samePerson: probabilities[i] >= comparer.threshold,
  }));
  if (!list && stringOption(args, "out") === undefined && format === "tsv") {
    const r = results[0];
    console.log(
      `${r.samePerson ? "same person" : "different people"}: probability ${
        r.probability.toFixed(4)
      }, threshold ${comparer.threshold.toFixed(4)} (${comparer.thresholdSource} of ${name})`,
    );
    return;
  }
  const text = format === "json"
    ? JSON.stringify({ experiment: name, threshold: comparer.threshold, results }, null, 2) + "\n"
    : [
      "a\tb\tprobability\tsame_person",
      ...results.map((r) => `${r.a}\t${r.b}\t${r.probability.toFixed(6)}\t${r.samePerson}`),
    ].join("\n") + "\n";
  if (out) {
    await writeFileAtomic(out, new TextEncoder().encode(text));
    console.log(`compare: ${results.length} pair(s) written to ${out}`);
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
});
