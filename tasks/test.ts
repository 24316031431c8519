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
import { type TenFoldMetrics, testTenFold } from "../lib/pipeline/ten_fold.ts";
import { ExperimentIndex } from "../lib/pipeline/experiments.ts";
import {
  choiceOption,
  intOption,
  parseTaskArgs,
  runTask,
  stringOption,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";
import { CHOSEN_BY, makeResultRecord, saveResultRecord } from "../lib/pipeline/result_record.ts";
import type { Artifact } from "../lib/pipeline/artifact_store.ts";
import * as tf from "@tensorflow/tfjs";

const HELP = `Usage: deno task test NAME [options]
Evaluates experiment NAME on its training sample, validation and test pairs.
  --tta N               test-time augmentation: mean of N augmented predictions (default ${TEST_DEFAULTS.tta})
  --train-eval-pairs N  training pairs to evaluate (default ${TEST_DEFAULTS.trainEvalPairs})
  --gallery N           most confident errors per gallery (default ${TEST_DEFAULTS.galleryPairs})
  --backend B           ${BACKEND_CHOICES.join(" | ")} (default ${TRAIN_DEFAULTS.backend})
  --no-flip             compare the faces as they are, without averaging each embedding with
                        its mirror image's (default: flip)
  --projection P        none | wccn: score identity models by the cosine after a within-class
                        covariance normalisation learnt on the training people's embeddings
                        (lambda ${TEST_DEFAULTS.wccnLambda}; default ${TEST_DEFAULTS.projection}); saved with the
                        evaluation, so compare and export score through it too; ten-fold
                        experiments fit one per fold on that fold's training people
  --chosen-by D         what chose this experiment's design (model, options, crop): ${
  CHOSEN_BY.join(" | ")
}
                        (default unstated); written to the result record, never a parameter
  --chosen-in REF       where it was chosen (a probe's record id, a document)
  --force               re-evaluate even if cached
Every test writes a result record (artifacts/results/NAME@KEY.json): \`deno task results\` lists them.`;

/** Rates in percent (n/a where the data cannot support them); AUC stays a 0-1 number. */
const pct = (x: number | null) => (x === null ? "n/a" : (100 * x).toFixed(2)).padStart(6);

await runTask("test", async () => {
  const args = parseTaskArgs(Deno.args, {
    tta: { type: "string" },
    "train-eval-pairs": { type: "string" },
    gallery: { type: "string" },
    backend: { type: "string" },
    force: { type: "boolean" },
    "no-flip": { type: "boolean" },
    projection: { type: "string" },
    "chosen-by": { type: "string" },
    "chosen-in": { type: "string" },
    "protocol-thresholds": { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 1) {
    throw new UserError(`unexpected argument "${args.positionals[1]}"`);
  }
  const name = validateExperimentName(args.positionals[0]);
  const store = new ArtifactStore(artifactsRoot());
  const params = {
    tta: intOption(args, "tta", { min: 0, max: 1000 }) ?? TEST_DEFAULTS.tta,
    flip: args.values["no-flip"] ? false : TEST_DEFAULTS.flip,
    trainEvalPairs: intOption(args, "train-eval-pairs", { min: 0 }) ??
      TEST_DEFAULTS.trainEvalPairs,
    galleryPairs: intOption(args, "gallery", { min: 0, max: 1000 }) ?? TEST_DEFAULTS.galleryPairs,
    projection: choiceOption(args, "projection", ["none", "wccn"] as const) ??
      TEST_DEFAULTS.projection,
    wccnLambda: TEST_DEFAULTS.wccnLambda,
  };
  const backend = choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend;
  const force = Boolean(args.values.force);
  const chosenBy = choiceOption(args, "chosen-by", CHOSEN_BY) ?? "unstated";
  const chosenIn = stringOption(args, "chosen-in");
  /** Writes the result record of the evaluation `artifact` and says where. */
  const record = async (artifact: Artifact) => {
    const result = await makeResultRecord(store, name, artifact, {
      testCommand: ["deno task test", ...Deno.args.map(shellWord)].join(" "),
      chosenBy,
      chosenIn,
      testBackend: tf.getBackend() ?? "none",
    });
    console.log(`test: result record ${await saveResultRecord(store.root, result)}`);
  };
  if ((await new ExperimentIndex(store.root).require(name)).kind === "ten-fold") {
    const artifact = await testTenFold(store, {
      name,
      params,
      backend,
      force,
      protocolThresholds: Boolean(args.values["protocol-thresholds"]),
    });
    const m: TenFoldMetrics = JSON.parse(
      await Deno.readTextFile(join(artifact.dir, "metrics.json")),
    );
    console.log("fold  pairs  accuracy  threshold  | protocol thr.  accuracy |    AUC");
    for (const f of m.folds) {
      console.log(
        `${String(f.fold).padStart(4)} ${String(f.pairs).padStart(6)}   ${pct(f.accuracy)}%  ${
          f.threshold.toFixed(4).padStart(9)
        }  | ${(f.protocolThreshold?.toFixed(4) ?? "n/a").padStart(13)}   ${
          pct(f.protocolAccuracy)
        }% | ${f.auc.toFixed(4)}`,
      );
    }
    console.log(
      `test: ${name}: LFW View 2 accuracy ${pct(m.mean)}% +- ${
        pct(m.standardError)
      }% (mean +- standard error over ${m.folds.length} folds; unrestricted, no outside data; ` +
        `thresholds from each fold's held-out validation people)`,
    );
    if (m.protocolMean !== null && m.protocolMean !== m.mean) {
      console.log(
        `test: with the protocol's thresholds (chosen on the other nine folds' pairs, which the fold models trained on): ${
          pct(m.protocolMean)
        }% +- ${pct(m.protocolStandardError)}%`,
      );
    }
    console.log(
      `test: pooled AUC ${m.pooled.auc.toFixed(4)}, EER ${
        pct(m.pooled.eer)
      }%; results in ${artifact.dir}`,
    );
    await record(artifact);
    return;
  }
  const artifact = await testExperiment(store, { name, params, backend, force });
  const metrics: TestMetrics = JSON.parse(
    await Deno.readTextFile(join(artifact.dir, TEST_FILES.metrics)),
  );
  console.log(
    `test: ${name}: threshold ${metrics.threshold.toFixed(4)} (chosen on validation)${
      metrics.tta ? `, TTA ${metrics.tta}` : ""
    }${metrics.flip ? ", mirror-averaged embeddings" : ""}${
      metrics.projection
        ? `, ${metrics.projection.method.toUpperCase()} projection (${metrics.projection.images} training images)`
        : ""
    }${metrics.unfinished ? `; UNFINISHED run: its checkpoint after epoch ${metrics.epochs}` : ""}`,
  );
  console.log(
    "set      pairs  acc@thr  acc@0.5  recall  precis.    F1     AUC     EER  TAR@1%  TAR@.1%  (%, AUC 0-1)",
  );
  for (const [set, m] of Object.entries(metrics.sets)) {
    console.log(
      `${set.padEnd(6)} ${String(m.pairs).padStart(7)} ${pct(m.atThreshold.accuracy)}%  ${
        pct(m.atHalf.accuracy)
      }% ${pct(m.atThreshold.recall)} ${pct(m.atThreshold.precision)} ${pct(m.atThreshold.f1)} ${
        m.auc.toFixed(4)
      } ${pct(m.eer)} ${pct(m.tarAtFar1)} ${pct(m.tarAtFar01)}`,
    );
  }
  if (metrics.nearChance) {
    console.log(
      `test: WARNING: ${name} is no better than chance (validation AUC ${
        metrics.sets.val.auc.toFixed(3)
      } is within noise of 0.5): it is untrained or failed to learn`,
    );
  }
  console.log(`test: results in ${artifact.dir}`);
  await record(artifact);
});

/** `word` as a shell reads it back (quoted when it holds anything but plain characters). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
