/**
 * `deno task export NAME OUT_DIR`: the trained model in TensorFlow.js layers format.
 * @module
 */
import { artifactsRoot, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { exportExperiment } from "../lib/compare/export_experiment.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import {
  choiceOption,
  parseTaskArgs,
  runTask,
  userPath,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { assertNoFileAbove } from "../lib/util/cli.ts";
import { join } from "node:path";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task export NAME OUT_DIR
Writes OUT_DIR/model.json and weights.bin (TensorFlow.js layers format, any model; the custom
layers "AbsDifference" (|a - b|) and "ScaledCosine" are registered by a loader),
OUT_DIR/preprocessing.json (face size, input size, crop box, pixel scale, threshold) and
OUT_DIR/compare.html.
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
  try {
    if (Deno.statSync(outDir).isFile) {
      throw new UserError(`OUT_DIR is a file, not a folder: ${outDir}`);
    }
    if (Deno.statSync(join(outDir, "model.json")).isFile && !args.values.force) {
      throw new UserError(
        `OUT_DIR ${outDir} already holds an exported model (model.json); use --force to replace it`,
      );
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
  }
  const pre = await exportExperiment(new ArtifactStore(artifactsRoot()), name, {
    outDir,
    backend: choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend,
  });
  console.log(
    `export: ${name} (${pre.model}, threshold ${pre.threshold.toFixed(4)}) written to ${outDir}`,
  );
});
