/**
 * `deno task test NAME`: evaluates a trained experiment (cached): metrics per set, ROC, error
 * galleries.
 * @module
 */
import { join } from "node:path";
import { artifactsRoot, TEST_DEFAULTS, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { TEST_FILES, testExperiment, type TestMetrics } from "../lib/pipeline/test_stage.ts";
import {
  choiceOption,
  intOption,
  parseTaskArgs,
  runTask,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task test NAME [options]
Evaluates experiment NAME on its training sample, validation and test pairs.
  --tta N               test-time augmentation: mean of N augmented predictions (default ${TEST_DEFAULTS.tta})
  --train-eval-pairs N  training pairs to evaluate (default ${TEST_DEFAULTS.trainEvalPairs})
  --gallery N           most confident errors per gallery (default ${TEST_DEFAULTS.galleryPairs})
  --backend B           ${BACKEND_CHOICES.join(" | ")} (default ${TRAIN_DEFAULTS.backend})
  --force               re-evaluate even if cached`;

const pct = (x: number) => (100 * x).toFixed(2).padStart(6);

await runTask("test", async () => {
  const args = parseTaskArgs(Deno.args, {
    tta: { type: "string" },
    "train-eval-pairs": { type: "string" },
    gallery: { type: "string" },
    backend: { type: "string" },
    force: { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 1) {
    throw new UserError(`unexpected argument "${args.positionals[1]}"`);
  }
  const name = validateExperimentName(args.positionals[0]);
  const artifact = await testExperiment(new ArtifactStore(artifactsRoot()), {
    name,
    params: {
      tta: intOption(args, "tta", { min: 0, max: 1000 }) ?? TEST_DEFAULTS.tta,
      trainEvalPairs: intOption(args, "train-eval-pairs", { min: 0 }) ??
        TEST_DEFAULTS.trainEvalPairs,
      galleryPairs: intOption(args, "gallery", { min: 0, max: 1000 }) ?? TEST_DEFAULTS.galleryPairs,
    },
    backend: choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend,
    force: Boolean(args.values.force),
  });
  const metrics: TestMetrics = JSON.parse(
    await Deno.readTextFile(join(artifact.dir, TEST_FILES.metrics)),
  );
  console.log(
    `test: ${name}: threshold ${metrics.threshold.toFixed(4)} (chosen on validation)${
      metrics.tta ? `, TTA ${metrics.tta}` : ""
    }`,
  );
  console.log(
    "set      pairs  acc@thr  acc@0.5  recall  precis.    F1     AUC     EER  TAR@1%  TAR@.1%",
  );
  for (const [set, m] of Object.entries(metrics.sets)) {
    console.log(
      `${set.padEnd(6)} ${String(m.pairs).padStart(7)} ${pct(m.atThreshold.accuracy)}%  ${
        pct(m.atHalf.accuracy)
      }% ${pct(m.atThreshold.recall)} ${pct(m.atThreshold.precision)} ${pct(m.atThreshold.f1)} ${
        pct(m.auc)
      } ${pct(m.eer)} ${pct(m.tarAtFar1)} ${pct(m.tarAtFar01)}`,
    );
  }
  console.log(`test: results in ${artifact.dir}`);
});
