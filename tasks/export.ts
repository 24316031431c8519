/**
 * `deno task export NAME OUT_DIR`: the trained model in TensorFlow.js layers format.
 * @module
 */
import { artifactsRoot, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { exportExperiment } from "../lib/compare/export_experiment.ts";
import { describeSize } from "../lib/compare/model_card.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import {
  choiceOption,
  parseTaskArgs,
  runTask,
  userPath,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { assertNoFileAbove } from "../lib/util/cli.ts";
import { assertExportFolder } from "../lib/pipeline/output_guard.ts";
import { UserError } from "../lib/util/errors.ts";
import { CUSTOM_LAYERS } from "../lib/model/custom_layers.ts";

/** The custom layers' names, from the one list a loader registers (custom_layers.ts). */
const CUSTOM_LAYER_NAMES: string[] = CUSTOM_LAYERS.map((layer) => layer.className).sort();

/** `words` joined by ", " in lines of at most 92 characters, each indented by `indent`. */
function wrapList(words: string[], indent: number): string {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  let line = "";
  for (const [i, word] of words.entries()) {
    const item = i < words.length - 1 ? `${word},` : word;
    if (line && indent + line.length + 1 + item.length > 92) {
      lines.push(pad + line);
      line = item;
    } else line = line ? `${line} ${item}` : item;
  }
  return [...lines, pad + line].join("\n");
}

const HELP = `Usage: deno task export NAME OUT_DIR
Writes experiment NAME's model, for use outside this project, into OUT_DIR:
  model.json, weights.bin  the model in TensorFlow.js layers format (any model; it scores faces
                     as they are, without mirror averaging, at a threshold chosen so)
  face_comparer.js   the ES module that loads it (plain tf.loadLayersModel fails on the
                     model's custom layers) and prepares faces as the project does:
                     loadComparer(tf, "model.json"), then probability(imageA, imageB) on
                     decoded pixels; it registers the custom layers a model may hold:
${wrapList(CUSTOM_LAYER_NAMES, 21)}
  preprocessing.json every step of the face preprocessing in numbers (frame, crop box, face and
                     input sizes, luma weights, pixel scale) and the threshold
  compare.html       a standalone page comparing two photos in the browser, offline
                     (TensorFlow.js and the model inlined): 5-10 MB for the networks and the
                     LBP and Gabor models, 20 MB for fisher_jb and fisher100_jb, 38 MB for
                     fisher100_512_jb
  --backend B   ${BACKEND_CHOICES.join(" | ")} (default ${TRAIN_DEFAULTS.backend})
  --force       replace an earlier export in OUT_DIR`;

await runTask("export", async () => {
  const args = parseTaskArgs(Deno.args, {
    backend: { type: "string" },
    force: { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length !== 2) throw new UserError("usage: deno task export NAME OUT_DIR");
  const name = validateExperimentName(args.positionals[0]);
  const outDir = userPath(args.positionals[1]);
  assertNoFileAbove(outDir, "OUT_DIR");
  // Only an earlier export is replaced (with --force), never files it did not write.
  await assertExportFolder(outDir, {
    replace: Boolean(args.values.force),
    what: "OUT_DIR",
    replaceHint: "use --force to replace it",
  });
  const pre = await exportExperiment(new ArtifactStore(artifactsRoot()), name, {
    outDir,
    backend: choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend,
  });
  console.log(
    `export: ${name} (${pre.model}, threshold ${pre.threshold.toFixed(4)}) written to ${outDir}`,
  );
  console.log(
    `export: ${
      Object.entries(pre.sizes).map(([file, bytes]) => `${file} ${describeSize(bytes)}`).join(", ")
    }`,
  );
});
