import assert from "node:assert/strict";
import { join } from "node:path";
import { AUGMENT_DEFAULTS } from "../../lib/augment/affine_augmenter.ts";
import {
  defaultImagesDir,
  defaultProtocolFiles,
  lfwDataRoot,
  PREPARE_DEFAULTS,
  SPLIT_DEFAULTS,
} from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { trainExperiment, type TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { testExperiment, type TestMetrics } from "../../lib/pipeline/test_stage.ts";
import { type TenFoldMetrics, testTenFold, trainTenFold } from "../../lib/pipeline/ten_fold.ts";
import { ADAM_DEFAULTS } from "../../lib/train/adam.ts";
import { loadCheckpoint } from "../../lib/train/checkpoint.ts";
import { UserError } from "../../lib/util/errors.ts";
import { lfwEntries, rekeyArtifact, tempDir } from "../helpers/fixtures.ts";
import { runChromium } from "../helpers/chromium.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { readFaceImage } from "../../lib/compare/face_image.ts";
import { exportExperiment } from "../../lib/compare/export_experiment.ts";
import { loadExportedModel } from "../../lib/compare/export_layers_model.ts";
import { Rng } from "../../lib/util/rng.ts";
import * as tf from "@tensorflow/tfjs";
import { buildReport } from "../../lib/report/html_report.ts";
import { loadExperimentData, loadTenFoldData } from "../../lib/report/experiment_data.ts";
import { experimentStatus } from "../../lib/pipeline/stage_status.ts";
import {
  differingParams,
  summarizeExperiment,
  summarizeExperiments,
} from "../../lib/pipeline/experiment_summary.ts";
import { loadPublishedRocs } from "../../lib/report/published_roc.ts";
import type { TenFoldRecord } from "../../lib/pipeline/experiments.ts";
import { needs } from "../helpers/tiers.ts";

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
      schedule: "constant",
      warmupEpochs: 0,
      minImagesPerPerson: 2,
    },
    backend: "wasm",
    progress: false,
    log: (l) => lines.push(l),
    ...extra,
  };
}

Deno.test(
  "real pairs: history and checkpoints; an interrupted and resumed run equals an uninterrupted one",
  { ignore: needs("lfw") },
  async () => {
    // Interrupted: the tiny time budget stops it after its first epoch.
    const first = await trainExperiment(store, options("resumed", { timeBudgetSeconds: 1e-6 }));
    assert.equal(first.artifact, undefined);
    assert.equal(first.epochsDone, 1);
    assert.equal((await loadCheckpoint(join(first.partialDir!, "checkpoint.bin")))?.epoch, 1);
    const index = new ExperimentIndex(store.root);
    assert.equal((await index.get("resumed"))?.status, "training");
    // An unfinished run can be evaluated: its last checkpoint, labelled as such.
    const early = await testExperiment(store, {
      name: "resumed",
      params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 8, galleryPairs: 0, flip: false },
      backend: "wasm",
      log: (l) => lines.push(l),
    });
    const earlyMetrics = JSON.parse(Deno.readTextFileSync(join(early.dir, "metrics.json")));
    assert.equal(earlyMetrics.unfinished, true);
    assert.equal(earlyMetrics.epochs, 1);
    assert.ok(
      lines.some((l) => /is unfinished: evaluating its checkpoint after epoch 1 of 2/.test(l)),
    );

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
      assert.ok(
        h.trainLoss > 0 && h.valAccuracy >= 0 && h.valAccuracy <= 1 && h.pairsPerSecond > 0 &&
          h.valAuc >= 0 && h.valAuc <= 1,
      );
    }
    const csv = Deno.readTextFileSync(join(straight.artifact!.dir, "history.csv")).trim().split(
      "\n",
    );
    assert.equal(
      csv[0],
      "epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,valAuc,seconds,pairsPerSecond",
    );
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
  },
);

Deno.test("a name reused with other parameters is refused; unknown --load names are errors", {
  ignore: needs("lfw"),
}, async () => {
  await assert.rejects(
    () =>
      trainExperiment(
        store,
        options("straight", { params: { ...options("x").params, batchSize: 32 } }),
      ),
    (e: Error) =>
      e instanceof UserError &&
      /exists with different parameters \(train\.batchSize 64 -> 32\).*--force/.test(e.message),
  );
  await assert.rejects(
    () => trainExperiment(store, options("other", { load: "nonexistent" })),
    (e: Error) =>
      e instanceof UserError &&
      /unknown experiment "nonexistent" \(known: resumed, straight\)/.test(e.message),
  );
});

Deno.test("a bad option combination fails before any stage runs and leaves no experiment record", {
  ignore: needs("lfw"),
}, async () => {
  const base = options("ghost");
  const colour: TrainOptions = {
    ...base,
    split: {
      ...base.split,
      prepare: { ...base.split.prepare, params: { ...base.split.prepare.params, grey: false } },
    },
  };
  lines.length = 0;
  await assert.rejects(() => trainExperiment(store, colour), /needs grey faces/);
  const noVal: TrainOptions = {
    ...base,
    split: { ...base.split, params: { ...base.split.params, valPairs: 0 } },
  };
  await assert.rejects(() => trainExperiment(store, noVal), /needs validation pairs/);
  assert.equal(await new ExperimentIndex(store.root).get("ghost"), undefined);
  assert.ok(!lines.some((l) => /prepare: running|split: running/.test(l)), lines.join("\n"));
});

Deno.test(
  "--load is refused when the other model trained on people of this experiment's test set",
  { ignore: needs("lfw") },
  async () => {
    // "straight" is a seed-protocol model: it trained on people from all over LFW.
    const base = options("view1_from_seed", { load: "straight" });
    const view1: TrainOptions = {
      ...base,
      split: {
        ...base.split,
        params: { ...base.split.params, protocol: "lfw-view1", trainPairs: 64, valPairs: 16 },
      },
    };
    await assert.rejects(
      () => trainExperiment(store, view1),
      (e: Error) =>
        e instanceof UserError &&
        /--load straight: it trained on \d+ people of this experiment's test set .*leak the test/
          .test(e.message),
    );
    assert.equal(await new ExperimentIndex(store.root).get("view1_from_seed"), undefined);
  },
);

Deno.test("test: metrics per set with the validation threshold, ROC, galleries; cached; TTA", {
  ignore: needs("lfw"),
}, async () => {
  const params = { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 64, galleryPairs: 4, flip: false };
  const run = (extra: Partial<{ tta: number; flip: boolean }> = {}) =>
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
  assert.equal(
    (await new ExperimentIndex(store.root).requireSingle("straight")).keys.test,
    artifact.key,
  );

  lines.length = 0;
  assert.equal((await run()).key, artifact.key);
  assert.ok(lines.some((l) => l.startsWith("test: cached")));
  const tta = await run({ tta: 2 });
  const plain = JSON.parse(Deno.readTextFileSync(join(artifact.dir, "predictions.json")));
  const augmented = JSON.parse(Deno.readTextFileSync(join(tta.dir, "predictions.json")));
  assert.equal(augmented.val.length, 64);
  assert.notDeepEqual(augmented.val, plain.val);
  // Mirror-averaged embeddings: a different, symmetric score.
  const flipped = JSON.parse(
    Deno.readTextFileSync(join((await run({ flip: true })).dir, "predictions.json")),
  );
  assert.equal(flipped.val.length, 64);
  assert.notDeepEqual(flipped.val, plain.val);

  await assert.rejects(
    () => testExperiment(store, { name: "nobody", params, backend: "wasm" }),
    /unknown experiment "nobody"/,
  );
});

Deno.test(
  "a changed history.csv is reported by read-only tasks, never deleted, and repaired by train without retraining",
  { ignore: needs("lfw") },
  async () => {
    // Its own experiment, so the other tests' artifacts are untouched.
    const trained = await trainExperiment(
      store,
      options("damaged", { force: true, params: { ...options("x").params, epochs: 1 } }),
    );
    const dir = trained.artifact!.dir;
    const checkpointBytes = Deno.readFileSync(join(dir, "checkpoint.bin"));
    const csv = Deno.readTextFileSync(join(dir, "history.csv"));
    Deno.writeTextFileSync(join(dir, "history.csv"), csv + "99,0,0,0,0,0,0,0\n");
    const damaged = (e: Error) =>
      e instanceof UserError && /history\.csv has \d+ bytes, expected \d+/.test(e.message) &&
      /left as it is/.test(e.message);
    await assert.rejects(() => loadExperimentData(store, "damaged"), damaged);
    await assert.rejects(
      () =>
        testExperiment(store, {
          name: "damaged",
          params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 8, galleryPairs: 1, flip: false },
          backend: "wasm",
        }),
      damaged,
    );
    await assert.rejects(() => FaceComparer.open(store, "damaged", { backend: "wasm" }), damaged);
    // Nothing was deleted by the read-only tasks.
    assert.deepEqual(Deno.readFileSync(join(dir, "checkpoint.bin")), checkpointBytes);
    assert.equal((await new ExperimentIndex(store.root).get("damaged"))?.status, "complete");
    // train repairs it: the checkpoint is kept, no epoch is trained again, history is rewritten.
    lines.length = 0;
    const repaired = await trainExperiment(
      store,
      options("damaged", { params: { ...options("x").params, epochs: 1 } }),
    );
    assert.equal(repaired.artifact!.key, trained.artifact!.key);
    assert.match(lines.join("\n"), /damaged \(history\.csv[^\n]*intact files \(checkpoint\.bin/);
    assert.ok(!lines.some((l) => l.startsWith("epoch ")), "an epoch was trained again");
    assert.deepEqual(Deno.readFileSync(join(dir, "checkpoint.bin")), checkpointBytes);
    assert.equal(Deno.readTextFileSync(join(dir, "history.csv")), csv);
    assert.ok(await loadExperimentData(store, "damaged"));
  },
);

Deno.test("experiments table: status, metrics by set, and the options that differ", {
  ignore: needs("lfw"),
}, async () => {
  const { summaries } = await summarizeExperiments(store);
  const byName = new Map(summaries.map((s) => [s.name, s]));
  const straight = byName.get("straight")!;
  assert.equal(straight.status, "done");
  assert.equal(straight.epochsDone, 2);
  assert.ok(straight.metrics.val.accuracy >= 0 && straight.metrics.val.accuracy <= 1);
  assert.equal(straight.params["train.model"], "seed");
  // An interrupted run says where it stopped.
  await trainExperiment(
    store,
    options("stopped", { timeBudgetSeconds: 1e-6, params: { ...options("x").params, epochs: 3 } }),
  );
  const stopped = await summarizeExperiment(
    store,
    (await new ExperimentIndex(store.root).get("stopped"))!,
  );
  assert.equal(stopped.status, "interrupted at epoch 1 of 3");
  assert.ok(differingParams([straight, stopped]).includes("train.epochs"));
});

Deno.test(
  "--force over an existing name keeps the earlier run under another name, restorable with mv",
  { ignore: needs("lfw") },
  async () => {
    const first = await trainExperiment(store, options("forced", { timeBudgetSeconds: 1e-6 }));
    lines.length = 0;
    await trainExperiment(
      store,
      options("forced", {
        force: true,
        timeBudgetSeconds: 1e-6,
        params: { ...options("x").params, epochs: 3 },
      }),
    );
    const index = new ExperimentIndex(store.root);
    const kept = (await index.names()).find((n) => n.startsWith("forced_before_"))!;
    assert.ok(kept, "the earlier run keeps a record");
    assert.equal((await index.requireSingle(kept)).keys.train, first.record.keys.train);
    assert.ok(
      lines.some((l) => l.includes(`is kept as "${kept}"`) && l.includes("experiments mv")),
    );
    await index.remove("forced");
    await index.rename(kept, "forced");
    assert.equal((await index.requireSingle("forced")).keys.train, first.record.keys.train);
    await assert.rejects(() => index.rename("forced", "straight"), /experiment "straight" exists/);
  },
);

Deno.test("more epochs than a finished run trained continue from its checkpoint", {
  ignore: needs("lfw"),
}, async () => {
  await trainExperiment(store, options("extended"));
  lines.length = 0;
  const more = await trainExperiment(
    store,
    options("extended", { params: { ...options("x").params, epochs: 3 } }),
  );
  assert.ok(lines.some((l) => /extending "extended" from 2 to 3 epochs/.test(l)), lines.join("\n"));
  assert.ok(lines.includes("train: resuming after epoch 2"));
  assert.equal(lines.filter((l) => l.startsWith("epoch ")).length, 1, "only the new epoch trains");
  const history = JSON.parse(Deno.readTextFileSync(join(more.artifact!.dir, "history.json")));
  assert.deepEqual(history.map((h: { epoch: number }) => h.epoch), [1, 2, 3]);
  assert.equal(
    (await new ExperimentIndex(store.root).requireSingle("extended")).status,
    "complete",
  );
});

Deno.test(
  "the backend and kernel set are in the train key: a run started with other kernels is not resumed, a finished one is reused",
  { ignore: needs("lfw") },
  async () => {
    const index = new ExperimentIndex(store.root);
    // As if each had been trained on another machine, with other kernels.
    const elsewhere = "wasm backend, kernels: native (OpenBLAS 0.3.99, Haswell kernels)";
    await trainExperiment(
      store,
      options("moved", { timeBudgetSeconds: 1e-6, params: { ...options("x").params, epochs: 3 } }),
    );
    const moved = await index.requireSingle("moved");
    assert.match(String(moved.options.compute), /^wasm backend, kernels: /);
    // There its key was another (the compute signature is part of it).
    const otherKey = "0".repeat(64);
    await index.put({
      ...moved,
      keys: { ...moved.keys, train: otherKey },
      options: { ...moved.options, compute: elsewhere },
    });
    await assert.rejects(
      () =>
        trainExperiment(store, options("moved", { params: { ...options("x").params, epochs: 3 } })),
      (e: Error) =>
        e instanceof UserError &&
        /"moved" was started with wasm backend, kernels: native \(OpenBLAS 0\.3\.99, Haswell kernels\), and this run would compute with wasm backend.*resume it where it started, or use --force/
          .test(e.message),
    );
    // A finished model made elsewhere (its artifact under its own key) is used as it is.
    const straight = await index.requireSingle("straight");
    await rekeyArtifact(store, "train", straight.keys.train, otherKey);
    await index.put({
      ...straight,
      keys: { ...straight.keys, train: otherKey },
      options: { ...straight.options, compute: elsewhere },
    });
    lines.length = 0;
    const reused = await trainExperiment(store, options("straight"));
    assert.equal(reused.cached, true);
    assert.equal(reused.artifact?.key, otherKey);
    assert.ok(
      lines.some((l) =>
        /cached .*trained with .*Haswell kernels\); this machine computes with/.test(l)
      ),
    );
    await index.put(straight);
    await Deno.remove(join(store.root, "train", otherKey), { recursive: true });
  },
);

Deno.test(
  "status: every stage cached after training and testing; an unfinished run says after which epoch",
  { ignore: needs("lfw") },
  async () => {
    const straight = await experimentStatus(store, "straight");
    assert.deepEqual(straight.map((s) => [s.stage, s.state]), [
      ["prepare", "cached"],
      ["split", "cached"],
      ["train", "cached"],
      ["test", "cached"],
    ]);
    await trainExperiment(
      store,
      options("halfway", {
        timeBudgetSeconds: 1e-6,
        params: { ...options("x").params, epochs: 4 },
      }),
    );
    const halfway = await experimentStatus(store, "halfway");
    assert.deepEqual(halfway.map((s) => s.state), ["cached", "cached", "unfinished", "not run"]);
    assert.match(halfway[2].reasons[0], /after epoch 1: rerun `deno task train halfway`/);
  },
);

/** Mini View 2 protocol files: 10 folds of 4 real LFW people, 2 same and 2 different pairs each. */
function miniView2(): { pairs: string; people: string } {
  const counts = new Map<string, number>();
  for (const e of lfwEntries()) counts.set(e.person, (counts.get(e.person) ?? 0) + 1);
  const people = [...counts].filter(([, n]) => n >= 4 && n <= 20).slice(0, 40);
  const dir = tempDir();
  const pairLines = ["10\t2"], peopleLines = ["10"];
  for (let f = 0; f < 10; f++) {
    const [a, b, c, d] = people.slice(4 * f, 4 * f + 4);
    pairLines.push(
      `${a[0]}\t1\t2`,
      `${b[0]}\t1\t2`,
      `${a[0]}\t3\t${c[0]}\t1`,
      `${b[0]}\t3\t${d[0]}\t1`,
    );
    peopleLines.push("4", ...[a, b, c, d].map(([name, n]) => `${name}\t${n}`));
  }
  Deno.writeTextFileSync(join(dir, "pairs.txt"), pairLines.join("\n") + "\n");
  Deno.writeTextFileSync(join(dir, "people.txt"), peopleLines.join("\n") + "\n");
  return { pairs: join(dir, "pairs.txt"), people: join(dir, "people.txt") };
}

/**
 * {@linkcode options} for a ten-fold View 2 run of {@linkcode miniView2}'s folds (16 training and
 * 8 validation pairs a fold), with `params`.
 */
function view2Options(
  name: string,
  files: { pairs: string; people: string },
  params: Partial<TrainOptions["params"]> = {},
): TrainOptions {
  const base = options(name);
  return {
    ...base,
    split: {
      ...base.split,
      params: { ...base.split.params, protocol: "lfw-view2", trainPairs: 16, valPairs: 8 },
      protocolFiles: { ...base.split.protocolFiles, pairs: files.pairs, people: files.people },
    },
    params: { ...base.params, ...params },
  };
}

Deno.test(
  "ten-fold View 2: trained fold by fold within a budget, evaluated with per-fold thresholds",
  { ignore: needs("lfw") },
  async () => {
    const files = miniView2();
    const tenFold = view2Options("view2", files, { epochs: 1, batchSize: 8 });
    const first = await trainTenFold(store, { ...tenFold, timeBudgetSeconds: 1e-6 });
    assert.equal(first.complete, 1);
    assert.equal(first.record.status, "training");
    const second = await trainTenFold(store, tenFold);
    assert.equal(second.complete, 10);
    const index = new ExperimentIndex(store.root);
    const record = await index.require("view2");
    assert.equal(record.kind, "ten-fold");
    assert.equal(record.status, "complete");
    await assert.rejects(
      () => trainExperiment(store, options("view2")),
      /is a ten-fold experiment/,
    );

    const params = { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 0, galleryPairs: 0, flip: true };
    const artifact = await testTenFold(store, {
      name: "view2",
      params,
      backend: "wasm",
      log: (l) => lines.push(l),
    });
    const metrics: TenFoldMetrics = JSON.parse(
      Deno.readTextFileSync(join(artifact.dir, "metrics.json")),
    );
    assert.deepEqual(
      metrics.folds.map((f) => [f.fold, f.pairs]),
      Array.from({ length: 10 }, (_, k) => [k + 1, 4]),
    );
    const mean = metrics.folds.reduce((s, f) => s + f.accuracy, 0) / 10;
    assert.ok(Math.abs(metrics.mean - mean) < 1e-12);
    assert.ok(metrics.standardError >= 0 && metrics.pooled.pairs === 40);
    // By default each fold model scores its own test pairs and validation pairs only.
    for (const f of metrics.folds) {
      assert.ok(f.accuracy >= 0 && f.accuracy <= 1);
      assert.equal(f.protocolAccuracy, null);
      assert.equal(f.protocolThreshold, null);
    }
    assert.equal(metrics.protocolMean, null);
    assert.ok(lines.some((l) => /fold 1: .* from held-out validation people\)/.test(l)));
    assert.equal(
      (await index.require("view2")).kind === "ten-fold" &&
        (await index.require("view2") as { testKey?: string }).testKey,
      artifact.key,
    );
    lines.length = 0;
    assert.equal(
      (await testTenFold(store, {
        name: "view2",
        params,
        backend: "wasm",
        log: (l) => lines.push(l),
      })).key,
      artifact.key,
    );
    assert.ok(lines.some((l) => l.startsWith("test: cached")));
    // Asked for, the protocol's thresholds come from the other nine folds' pairs, and the
    // headline figures stay those of the held-out validation thresholds.
    const withProtocol: TenFoldMetrics = JSON.parse(
      Deno.readTextFileSync(
        join(
          (await testTenFold(store, {
            name: "view2",
            params,
            backend: "wasm",
            protocolThresholds: true,
            log: (l) => lines.push(l),
          })).dir,
          "metrics.json",
        ),
      ),
    );
    for (const [k, f] of withProtocol.folds.entries()) {
      assert.ok(f.protocolAccuracy! >= 0 && f.protocolAccuracy! <= 1);
      assert.ok(Math.abs(f.threshold - metrics.folds[k].threshold) < 1e-5);
      assert.ok(Math.abs(f.auc - metrics.folds[k].auc) < 1e-6);
    }
    const protocolMean = withProtocol.folds.reduce((s, f) => s + f.protocolAccuracy!, 0) / 10;
    assert.ok(Math.abs(withProtocol.protocolMean! - protocolMean) < 1e-12);
    assert.ok(lines.some((l) => /at the protocol's threshold/.test(l)));

    // The report shows the ten-fold result beside the published ones.
    const group = await index.require("view2");
    assert.equal(group.kind, "ten-fold");
    const html = await buildReport([await loadTenFoldData(store, group as TenFoldRecord)], {
      published: await loadPublishedRocs(join(lfwDataRoot(), "published-roc")),
    });
    assert.match(html, /LFW View 2, ten folds/);
    assert.match(html, /&plusmn;/);
    // Unrestricted results are never ranked inside the image-restricted published table.
    assert.doesNotMatch(html, /<tr class="ours">/);
    assert.match(html, /Category: unrestricted, no outside data/);
    assert.match(html, /image-restricted, no outside data \(another category; not a ranking/);
    assert.match(html, /held out of its training/);
    assert.equal((html.match(/<svg /g) ?? []).length, 3, "ROC, fold 1 history, fold 1 skew");
  },
);

Deno.test(
  "ten-fold --projection wccn: every fold fits its own projection; a pair model is refused",
  { ignore: needs("lfw") },
  async () => {
    const files = miniView2();
    await trainTenFold(
      store,
      view2Options("view2cos", files, { model: "seed_cosface", epochs: 1, batchSize: 8 }),
    );
    const params = {
      ...TEST_DEFAULTS,
      trainEvalPairs: 0,
      galleryPairs: 0,
      projection: "wccn" as const,
    };
    lines.length = 0;
    const artifact = await testTenFold(store, {
      name: "view2cos",
      params,
      backend: "wasm",
      log: (l) => lines.push(l),
    });
    const fitted = lines.filter((l) => /WCCN projection fitted on \d+ images/.test(l));
    assert.equal(fitted.length, 10, lines.join("\n"));
    // Each fold model has its own training people, so no two folds fit on the same images.
    const metrics: TenFoldMetrics = JSON.parse(
      Deno.readTextFileSync(join(artifact.dir, "metrics.json")),
    );
    assert.equal(metrics.folds.length, 10);
    for (const f of metrics.folds) assert.ok(f.accuracy >= 0 && f.accuracy <= 1);
    await assert.rejects(
      () => testTenFold(store, { name: "view2", params, backend: "wasm", log: () => {} }),
      /--projection wccn: model seed verifies pairs with a learnt head/,
    );
  },
);

Deno.test(
  "ten-fold across a code change: a finished fold is kept, an unfinished one starts again",
  { ignore: needs("lfw") },
  async () => {
    const files = miniView2();
    const tenFold: TrainOptions = {
      ...view2Options("view2code", files, { epochs: 2, batchSize: 8 }),
      timeBudgetSeconds: 1e-6,
    };
    const index = new ExperimentIndex(store.root);
    // As if the training code had changed since: the record's key is not today's.
    const madeByEarlierCode = async (fold: string, move: boolean) => {
      const record = await index.requireSingle(fold);
      const earlier = "e".repeat(64);
      if (move) await rekeyArtifact(store, "train", record.keys.train, earlier, { move: true });
      await index.put({ ...record, keys: { ...record.keys, train: earlier } });
      return earlier;
    };

    // Fold 1 stops after one of its two epochs; then the code "changes".
    assert.equal((await trainTenFold(store, tenFold)).complete, 0);
    await madeByEarlierCode("view2code_fold1", false);
    // A single-experiment run is refused as before; the ten-fold run starts the fold again.
    await assert.rejects(
      () =>
        trainExperiment(store, {
          ...tenFold,
          name: "view2code_fold1",
          split: { ...tenFold.split, params: { ...tenFold.split.params, fold: 1 } },
        }),
      /by other code/,
    );
    lines.length = 0;
    await trainTenFold(store, {
      ...tenFold,
      timeBudgetSeconds: undefined,
      log: (l) => lines.push(l),
    });
    const kept = (await index.names()).find((n) => n.startsWith("view2code_fold1_before_"));
    assert.ok(kept, `the unfinished run keeps a record: ${lines.join("\n")}`);
    assert.equal((await index.requireSingle(kept)).status, "training");
    assert.equal((await index.requireSingle("view2code_fold1")).status, "complete");
    assert.notEqual((await index.requireSingle("view2code_fold1")).keys.train, "e".repeat(64));

    // Every fold is finished; fold 3 "was trained by earlier code": it is kept, not retrained;
    // so is fold 5, whose split was also made by earlier data code (same content, another key).
    const earlier = await madeByEarlierCode("view2code_fold3", true);
    const fold5 = await index.requireSingle("view2code_fold5");
    const copiedSplit = "d".repeat(64);
    await rekeyArtifact(store, "split", fold5.keys.split, copiedSplit);
    await index.put({
      ...fold5,
      keys: { ...fold5.keys, split: copiedSplit, train: "c".repeat(64) },
    });
    await rekeyArtifact(store, "train", fold5.keys.train, "c".repeat(64), { move: true });
    lines.length = 0;
    const again = await trainTenFold(store, { ...tenFold, log: (l) => lines.push(l) });
    assert.equal(again.complete, 10);
    assert.ok(again.outcomes.every((o) => o.cached));
    assert.equal(again.outcomes[2].artifact?.key, earlier);
    assert.equal(again.outcomes[4].artifact?.key, "c".repeat(64));
    assert.ok(
      lines.some((l) => /"view2code_fold3" was trained by earlier code .* kept as it is/.test(l)),
      lines.join("\n"),
    );
    const metrics = await testTenFold(store, {
      name: "view2code",
      params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 0, galleryPairs: 0 },
      backend: "wasm",
      log: () => {},
    });
    assert.ok(metrics.key);
  },
);

Deno.test(
  "ten-fold ensemble: made fold by fold from the members' folds, and evaluated like any ten-fold run",
  { ignore: needs("lfw") },
  async () => {
    const files = miniView2();
    const view2 = (name: string, params: Partial<TrainOptions["params"]>): TrainOptions =>
      view2Options(name, files, { epochs: 1, batchSize: 8, ...params });
    await trainTenFold(store, view2("v2lbp", { model: "lbp_lda" }));
    await trainTenFold(store, view2("v2cnn", { model: "seed64_cosface" }));
    const fused = await trainTenFold(
      store,
      view2("v2fused", {
        model: "seed64_cosface+lbp_lda",
        members: ["v2cnn", "v2lbp"],
        objective: { kind: "ensemble" },
      }),
    );
    assert.equal(fused.complete, 10);
    const index = new ExperimentIndex(store.root);
    for (const k of [1, 7]) {
      const fold = await index.requireSingle(`v2fused_fold${k}`);
      const member = await index.requireSingle(`v2cnn_fold${k}`);
      assert.equal(fold.keys.split, member.keys.split, "fold k's split is its members' fold k's");
      const train = await store.load("train", fold.keys.train);
      assert.equal(train!.manifest.inputs.member1, member.keys.train);
      assert.deepEqual((train!.manifest.params as { members: string[] }).members, [
        `v2cnn_fold${k}`,
        `v2lbp_fold${k}`,
      ]);
    }
    const artifact = await testTenFold(store, {
      name: "v2fused",
      params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 0, galleryPairs: 0 },
      backend: "wasm",
      log: () => {},
    });
    const metrics: TenFoldMetrics = JSON.parse(
      Deno.readTextFileSync(join(artifact.dir, "metrics.json")),
    );
    assert.equal(metrics.folds.length, 10);
  },
);

Deno.test(
  "compare: a trained experiment scores two real photos, symmetrically, with its threshold",
  { ignore: needs("lfw") },
  async () => {
    const comparer = await FaceComparer.open(store, "straight", { backend: "wasm" });
    const lfw = join(lfwDataRoot(), "lfw-deepfunneled");
    const a = await readFaceImage(join(lfw, "AJ_Cook", "AJ_Cook_0001.jpg"), comparer.prepare);
    const b = await readFaceImage(
      join(lfw, "George_W_Bush", "George_W_Bush_0001.jpg"),
      comparer.prepare,
    );
    const [ab, ba, aa] = await comparer.compare([[a, b], [b, a], [a, a]]);
    assert.ok(ab >= 0 && ab <= 1);
    assert.ok(Math.abs(ab - ba) < 1e-6, "|l - r| makes the score symmetric");
    assert.ok(Number.isFinite(aa));
    const metrics: TestMetrics = JSON.parse(
      Deno.readTextFileSync(
        join(
          store.dirOf(
            "test",
            (await new ExperimentIndex(store.root).requireSingle("straight")).keys.test!,
          ),
          "metrics.json",
        ),
      ),
    );
    assert.equal(comparer.threshold, metrics.threshold);
    comparer.dispose();
    await assert.rejects(() => FaceComparer.open(store, "nobody"), /unknown experiment "nobody"/);
  },
);

Deno.test("export: the layers-format model predicts what the experiment's model predicts", {
  ignore: needs("lfw"),
}, async () => {
  const outDir = tempDir();
  const pre = await exportExperiment(store, "straight", { outDir, backend: "wasm" });
  assert.deepEqual([pre.faceSize, pre.inputSize, pre.box, pre.scale], [
    64,
    32,
    [83, 92, 166, 175],
    255,
  ]);
  const loaded = await loadExportedModel({
    "model.json": Deno.readTextFileSync(join(outDir, "model.json")),
    "weights.bin": Deno.readFileSync(join(outDir, "weights.bin")),
  });
  // The export scores faces as they are (no mirror averaging), with its threshold for that.
  const comparer = await FaceComparer.open(store, "straight", { backend: "wasm", flip: false });
  assert.equal(pre.threshold, comparer.threshold);
  assert.equal(comparer.flip, false);
  const rng = new Rng(8);
  const faces = Array.from(
    { length: 4 },
    () => Uint8Array.from({ length: 32 * 32 }, () => rng.nextInt(256)),
  );
  const ours = await comparer.compare([[faces[0], faces[1]], [faces[2], faces[3]]]);
  const input = (i: number, j: number) =>
    tf.tensor4d(Float32Array.from([...faces[i], ...faces[j]], (v) => v / 255), [2, 32, 32, 1]);
  const theirs = (loaded.predict([input(0, 2), input(1, 3)]) as tf.Tensor).dataSync();
  for (let k = 0; k < 2; k++) {
    assert.ok(Math.abs(ours[k] - theirs[k]) < 1e-5, `${ours[k]} vs ${theirs[k]}`);
  }
  comparer.dispose();
});

Deno.test("compare page: two real photos compared in headless Chromium, as on the command line", {
  ignore: needs("lfw", "chromium"),
}, async () => {
  const outDir = tempDir();
  await exportExperiment(store, "straight", { outDir, backend: "wasm" });
  const lfw = join(lfwDataRoot(), "lfw-deepfunneled");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      const file = path.startsWith("/lfw/") ? join(lfw, path.slice(5)) : join(outDir, path);
      try {
        return new Response(await Deno.readFile(file), {
          headers: { "content-type": file.endsWith(".html") ? "text/html" : "image/jpeg" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  try {
    const a = "AJ_Cook/AJ_Cook_0001.jpg", b = "George_W_Bush/George_W_Bush_0001.jpg";
    const url =
      `http://127.0.0.1:${server.addr.port}/compare.html?a=/lfw/${a}&b=/lfw/${b}&detect=0`; // the fixed box, as below
    const run = await runChromium(url, ["--virtual-time-budget=60000", "--dump-dom"]);
    const dom = run.stdout;
    const result = /<div id="result" data-state="(\w+)" data-probability="([\d.e-]+)"/.exec(dom);
    assert.ok(result, `no result in the page: ${dom.match(/<div id="result"[^<]*/)?.[0]}`);
    assert.equal(result[1], "done");
    const comparer = await FaceComparer.open(store, "straight", { backend: "wasm" });
    const [expected] = await comparer.compare([[
      await readFaceImage(join(lfw, a), comparer.prepare),
      await readFaceImage(join(lfw, b), comparer.prepare),
    ]]);
    comparer.dispose();
    // The browser crops and resizes with the canvas, so agree to within a few hundredths.
    assert.ok(
      Math.abs(Number(result[2]) - expected) < 0.03,
      `browser ${result[2]} vs command line ${expected}`,
    );
  } finally {
    await server.shutdown();
  }
  // Opened from disk, the page cannot read file:// images' pixels: it says why and what to do.
  const a = join(lfw, "AJ_Cook", "AJ_Cook_0001.jpg"), b = join(lfw, "AJ_Cook", "AJ_Cook_0002.jpg");
  const fromDisk = await runChromium(
    `file://${join(outDir, "compare.html")}?a=file://${a}&b=file://${b}`,
    ["--virtual-time-budget=60000", "--dump-dom"],
  );
  const state = /<div id="result" data-state="(\w+)">([^<]*)/.exec(fromDisk.stdout);
  assert.ok(state, `no result in the page: ${fromDisk.stdout.slice(-300)}`);
  assert.equal(state[1], "error");
  assert.match(
    state[2],
    /opened from disk \(file:\/\/\).*drop them on the page.*serve this folder over HTTP/,
  );
});
