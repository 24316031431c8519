import assert from "node:assert/strict";
import { join } from "node:path";
import { AUGMENT_DEFAULTS } from "../../lib/augment/affine_augmenter.ts";
import {
  defaultImagesDir,
  defaultProtocolFiles,
  PREPARE_DEFAULTS,
  SPLIT_DEFAULTS,
} from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { trainExperiment, type TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { testExperiment, type TestMetrics } from "../../lib/pipeline/test_stage.ts";
import { ADAM_DEFAULTS } from "../../lib/train/adam.ts";
import { loadCheckpoint } from "../../lib/train/checkpoint.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

// One store for the file: the real LFW copy is prepared once (about 15 s).
const lines: string[] = [];
const store = new ArtifactStore(tempDir(), {
  log: (l) => lines.push(l),
  warn: (l) => lines.push(l),
});

function options(name: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    name,
    split: {
      prepare: { images: defaultImagesDir(), params: PREPARE_DEFAULTS },
      params: { ...SPLIT_DEFAULTS, trainPairs: 256, valPairs: 64 },
      protocolFiles: defaultProtocolFiles(),
    },
    params: {
      model: "seed",
      epochs: 2,
      batchSize: 64,
      seed: 42,
      augment: AUGMENT_DEFAULTS,
      adam: ADAM_DEFAULTS,
    },
    backend: "wasm",
    progress: false,
    log: (l) => lines.push(l),
    ...extra,
  };
}

Deno.test("real pairs: history and checkpoints; an interrupted and resumed run equals an uninterrupted one", async () => {
  // Interrupted: the tiny time budget stops it after its first epoch.
  const first = await trainExperiment(store, options("resumed", { timeBudgetSeconds: 1e-6 }));
  assert.equal(first.artifact, undefined);
  assert.equal(first.epochsDone, 1);
  assert.equal((await loadCheckpoint(join(first.partialDir!, "checkpoint.bin")))?.epoch, 1);
  const index = new ExperimentIndex(store.root);
  assert.equal((await index.get("resumed"))?.status, "training");

  const resumed = await trainExperiment(store, options("resumed"));
  assert.ok(resumed.artifact);
  assert.ok(lines.includes("train: resuming after epoch 1"));
  assert.equal((await index.get("resumed"))?.status, "complete");
  const resumedWeights =
    (await loadCheckpoint(join(resumed.artifact.dir, "checkpoint.bin")))!.weights;

  // Uninterrupted: same parameters, so the same artifact key; --force retrains it from scratch.
  const straight = await trainExperiment(store, options("straight", { force: true }));
  assert.equal(straight.artifact!.key, resumed.artifact.key);
  const checkpoint = (await loadCheckpoint(join(straight.artifact!.dir, "checkpoint.bin")))!;
  assert.equal(checkpoint.epoch, 2);
  for (const [name, values] of checkpoint.weights) {
    assert.deepEqual(values, resumedWeights.get(name), `weights of ${name} differ after resume`);
  }
  const history = JSON.parse(Deno.readTextFileSync(join(straight.artifact!.dir, "history.json")));
  assert.equal(history.length, 2);
  for (const h of history) {
    assert.ok(h.trainLoss > 0 && h.valAccuracy >= 0 && h.valAccuracy <= 1 && h.pairsPerSecond > 0);
  }
  const csv = Deno.readTextFileSync(join(straight.artifact!.dir, "history.csv")).trim().split("\n");
  assert.equal(csv[0], "epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,seconds,pairsPerSecond");
  assert.equal(csv.length, 3);
  const info = straight.artifact!.manifest.info as {
    backend: { name: string };
    parameters: { total: number };
  };
  assert.equal(info.backend.name, "wasm");
  assert.equal(info.parameters.total, 1_634_017);

  lines.length = 0;
  const again = await trainExperiment(store, options("straight"));
  assert.equal(again.artifact?.key, straight.artifact!.key);
  assert.ok(lines.some((l) => l.startsWith("train: cached")));
});

Deno.test("a name reused with other parameters is refused; unknown --load names are errors", async () => {
  await assert.rejects(
    () =>
      trainExperiment(
        store,
        options("straight", { params: { ...options("x").params, epochs: 3 } }),
      ),
    (e: Error) =>
      e instanceof UserError &&
      /exists with different parameters \(train\.epochs 2 -> 3\).*--force/.test(e.message),
  );
  await assert.rejects(
    () => trainExperiment(store, options("other", { load: "nonexistent" })),
    (e: Error) =>
      e instanceof UserError &&
      /unknown experiment "nonexistent" \(known: resumed, straight\)/.test(e.message),
  );
});

Deno.test("test: metrics per set with the validation threshold, ROC, galleries; cached; TTA", async () => {
  const params = { tta: 0, trainEvalPairs: 64, galleryPairs: 4 };
  const run = (extra: Partial<{ tta: number }> = {}) =>
    testExperiment(store, {
      name: "straight",
      params: { ...params, ...extra },
      backend: "wasm",
      log: (l) => lines.push(l),
    });
  const artifact = await run();
  const metrics: TestMetrics = JSON.parse(
    Deno.readTextFileSync(join(artifact.dir, "metrics.json")),
  );
  assert.deepEqual(Object.keys(metrics.sets).sort(), ["train", "val"]);
  const val = metrics.sets.val;
  assert.equal(val.pairs, 64);
  assert.equal(metrics.sets.train.pairs, 64);
  // The threshold maximises validation accuracy, so it cannot do worse there than 0.5.
  assert.ok(val.atThreshold.accuracy >= val.atHalf.accuracy);
  assert.equal(
    val.atThreshold.tp + val.atThreshold.fp + val.atThreshold.tn + val.atThreshold.fn,
    64,
  );
  assert.ok(val.auc >= 0 && val.auc <= 1 && val.eer >= 0 && val.eer <= 1);
  const roc = JSON.parse(Deno.readTextFileSync(join(artifact.dir, "roc.json")));
  assert.deepEqual(roc.val[0], [0, 0, null]);
  assert.deepEqual(roc.val.at(-1).slice(0, 2), [1, 1]);
  const errors = JSON.parse(Deno.readTextFileSync(join(artifact.dir, "errors.json")));
  assert.equal(errors.set, "val");
  assert.ok(errors.falsePositives.length <= 4 && errors.falseNegatives.length <= 4);
  for (const e of errors.falsePositives) assert.ok(e.probability >= metrics.threshold);
  if (errors.falsePositives.length) {
    assert.ok(Deno.statSync(join(artifact.dir, "false_positives.png")).size > 0);
  }
  assert.equal((await new ExperimentIndex(store.root).get("straight"))?.keys.test, artifact.key);

  lines.length = 0;
  assert.equal((await run()).key, artifact.key);
  assert.ok(lines.some((l) => l.startsWith("test: cached")));
  const tta = await run({ tta: 2 });
  const plain = JSON.parse(Deno.readTextFileSync(join(artifact.dir, "predictions.json")));
  const augmented = JSON.parse(Deno.readTextFileSync(join(tta.dir, "predictions.json")));
  assert.equal(augmented.val.length, 64);
  assert.notDeepEqual(augmented.val, plain.val);

  await assert.rejects(
    () => testExperiment(store, { name: "nobody", params, backend: "wasm" }),
    /unknown experiment "nobody"/,
  );
});
