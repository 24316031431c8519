import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { SEED_MODEL } from "../../lib/model/seed_model.ts";
import { Adam } from "../../lib/train/adam.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../lib/train/checkpoint.ts";
import { batchLoss, LocalStepRunner, localTrainStep } from "../../lib/train/train_step.ts";
import { SideParallelStepRunner } from "../../lib/train/side_parallel_step.ts";
import { Rng } from "../../lib/util/rng.ts";

const KEY = { seed: 3, epoch: 1, batch: 0 };

function tinyBatch(count: number, seed: number) {
  const rng = new Rng(seed);
  const n = count * 32 * 32;
  return {
    left: Float32Array.from({ length: n }, () => rng.nextFloat()),
    right: Float32Array.from({ length: n }, () => rng.nextFloat()),
    labels: Float32Array.from({ length: count }, (_, i) => i % 2),
    count,
  };
}

Deno.test("one optimiser step lowers the loss on a fixed tiny batch", async () => {
  await selectBackend("wasm", { log: () => {} });
  const params = new ModelParams(SEED_MODEL, initialParamArrays(SEED_MODEL, new Rng(1)));
  const adam = new Adam();
  const batch = tinyBatch(16, 2);
  const before = batchLoss(params, batch, KEY);
  const movingBefore = params.variable("embed_bn/moving_mean").dataSync()[0];
  localTrainStep({ params, adam }, { batch, key: KEY });
  const after = batchLoss(params, batch, KEY);
  assert.ok(after < before, `loss ${before} -> ${after}`);
  assert.notEqual(
    params.variable("embed_bn/moving_mean").dataSync()[0],
    movingBefore,
    "moving statistics update",
  );
  assert.equal(adam.state().step, 1);
  const tensorsBefore = tf.memory().numTensors;
  localTrainStep({ params, adam }, { batch, key: { ...KEY, batch: 1 } });
  assert.equal(tf.memory().numTensors, tensorsBefore, "a step leaks no tensors");
  params.dispose();
  adam.dispose();
});

Deno.test("checkpoints round-trip exactly and detect truncation", () => {
  const weights = new Map([["a", Float32Array.from([1, 2, 3])], ["b", Float32Array.from([-0.5])]]);
  const optimizer = {
    step: 7,
    m: new Map([["a", Float32Array.from([0.1, 0.2, 0.3])]]),
    v: new Map([["a", Float32Array.from([1, 1, 1])]]),
  };
  const bytes = encodeCheckpoint({
    model: "seed",
    epoch: 3,
    weights,
    optimizer,
    meta: { seed: 42 },
  });
  const back = decodeCheckpoint(bytes);
  assert.equal(back.epoch, 3);
  assert.deepEqual([...back.weights.get("a")!], [1, 2, 3]);
  assert.deepEqual([...back.optimizer.v.get("a")!], [1, 1, 1]);
  assert.equal(back.optimizer.step, 7);
  assert.deepEqual(back.meta, { seed: 42 });
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4)), /truncated/);
  assert.throws(() => decodeCheckpoint(new Uint8Array(16)), /not a face-comparer checkpoint/);
  // A weight scaled in place (same size) is detected by the checksum.
  const tampered = bytes.slice();
  const view = new DataView(tampered.buffer);
  const last = tampered.length - 4; // the last float: adam_v of "a"
  view.setFloat32(last, view.getFloat32(last, true) * 10, true);
  assert.throws(() => decodeCheckpoint(tampered), /checksum mismatch/);
});

Deno.test("two-thread steps (one worker per side) give exactly the one-thread weights", async () => {
  await selectBackend("wasm", { log: () => {} });
  const init = initialParamArrays(SEED_MODEL, new Rng(1));
  const batch = tinyBatch(12, 6);
  const weights = [];
  for (const threads of [1, 2]) {
    const params = new ModelParams(SEED_MODEL, init);
    const adam = new Adam();
    const runner = threads === 1
      ? new LocalStepRunner(params, adam)
      : new SideParallelStepRunner(params, adam, { maxBatch: 12 });
    const losses = [];
    for (let i = 0; i < 2; i++) {
      losses.push((await runner.step(batch, { ...KEY, batch: i })).lossSum);
    }
    // Later steps must leak no tensor, on this thread or in the workers.
    const before = tf.memory().numTensors;
    const workersBefore = runner instanceof SideParallelStepRunner ? [...runner.workerTensors] : [];
    losses.push((await runner.step(batch, { ...KEY, batch: 2 })).lossSum);
    assert.equal(
      tf.memory().numTensors,
      before,
      `${threads} thread(s): tensors leak on the main thread`,
    );
    if (runner instanceof SideParallelStepRunner) {
      assert.deepEqual(runner.workerTensors, workersBefore, "tensors leak in the workers");
    }
    runner.close();
    weights.push({ losses, values: params.toArrays() });
    params.dispose();
    adam.dispose();
  }
  assert.deepEqual(weights[1].losses, weights[0].losses);
  for (const [name, values] of weights[0].values) {
    assert.deepEqual(weights[1].values.get(name), values, name);
  }
});

Deno.test("a non-finite loss stops training, naming the epoch and batch, and keeps the last checkpoint", async () => {
  await selectBackend("wasm", { log: () => {} });
  const { runTraining } = await import("../../lib/train/trainer.ts");
  const { AUGMENT_DEFAULTS } = await import("../../lib/augment/affine_augmenter.ts");
  const { ADAM_DEFAULTS } = await import("../../lib/train/adam.ts");
  const rng = new Rng(4);
  const faces = Uint8Array.from({ length: 16 * 32 * 32 }, () => rng.nextInt(256));
  const pairs = {
    a: Int32Array.from([0, 2, 4, 6, 8, 10, 12, 14]),
    b: Int32Array.from([1, 3, 5, 7, 9, 11, 13, 15]),
    same: Uint8Array.from([1, 0, 1, 0, 1, 0, 1, 0]),
  };
  const workDir = Deno.makeTempDirSync();
  const params = {
    model: "seed",
    epochs: 3,
    batchSize: 4,
    seed: 1,
    augment: AUGMENT_DEFAULTS,
    // A learning rate no network survives: the weights overflow within a few steps.
    adam: { ...ADAM_DEFAULTS, learningRate: 1e38 },
    schedule: "constant" as const,
    warmupEpochs: 0,
    minImagesPerPerson: 2,
  };
  await assert.rejects(
    () =>
      runTraining(params, { faces, size: 32, train: pairs, val: pairs }, {
        workDir,
        log: () => {},
        progress: false,
      }),
    /training diverged: the loss is NaN at epoch \d, batch \d of 2; the checkpoint after epoch \d is kept/,
  );
});
