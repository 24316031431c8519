import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { SEED_COSFACE_MODEL } from "../../lib/model/seed_cosface_model.ts";
import { SEED_MODEL } from "../../lib/model/seed_model.ts";
import { Adam } from "../../lib/train/adam.ts";
import { INFERENCE_CONTEXT } from "../../lib/train/forward_context.ts";
import {
  COSFACE_WEIGHTS,
  objectiveLoss,
  withObjective,
  withObjectiveParams,
} from "../../lib/train/objective.ts";
import type { SiameseModel } from "../../lib/model/siamese_model.ts";
import { SideParallelStepRunner } from "../../lib/train/side_parallel_step.ts";
import { batchLoss, localTrainStep } from "../../lib/train/train_step.ts";
import { Rng } from "../../lib/util/rng.ts";

const KEY = { seed: 3, epoch: 1, batch: 0 };

/** Asserts that `base`'s CosFace loss on a hand-made batch equals the formula with its s and m. */
async function assertCosfaceLoss(base: SiameseModel) {
  await selectBackend("cpu", { log: () => {} });
  const model = withObjectiveParams(base, 3);
  const { scale, margin } = model.objective as { scale: number; margin: number };
  const left = tf.tensor2d([[1, 0], [0, 2]]);
  const right = tf.tensor2d([[1, 1], [0, -1]]);
  const weights = tf.tensor2d([[1, 0, 1], [0, 1, 1]]); // class directions (1,0) (0,1) (1,1)
  const labels = Float32Array.from([0, 2]);
  const result = objectiveLoss(
    { ...model, embeddingSize: 2 },
    { [COSFACE_WEIGHTS]: weights },
    { left, right },
    labels,
    INFERENCE_CONTEXT,
  );
  // Expected by hand: rows left0, left1, right0, right1 with labels 0, 2, 0, 2.
  const rows = [[1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2], [0, -1]];
  const classes = [[1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2]];
  const y = [0, 2, 0, 2];
  let expected = 0, correct = 0;
  rows.forEach((r, i) => {
    const cos = classes.map((c) => r[0] * c[0] + r[1] * c[1]);
    const logits = cos.map((c, k) => scale * (c - (k === y[i] ? margin : 0)));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
    expected += (lse - logits[y[i]]) / rows.length;
    if (cos.indexOf(Math.max(...cos)) === y[i]) correct++;
  });
  assert.ok(
    Math.abs(result.loss.dataSync()[0] - expected) < 1e-4,
    `${result.loss.dataSync()[0]} vs ${expected}`,
  );
  assert.equal(result.correct.dataSync()[0], correct);
  assert.equal(result.predictions, 4);
  tf.dispose([left, right, weights, result.loss, result.correct]);
}

Deno.test("cosface loss equals its definition: softmax over s(cos - m[true class])", async () => {
  await assertCosfaceLoss(SEED_COSFACE_MODEL);
});

Deno.test("withObjective: --margin and --logit-scale change the loss's constants, never the kind", async () => {
  const changed = withObjective(SEED_COSFACE_MODEL, { kind: "cosface", scale: 5, margin: 0.1 });
  assert.deepEqual(changed.objective, { kind: "cosface", scale: 5, margin: 0.1 });
  await assertCosfaceLoss(changed);
  assert.equal(withObjective(SEED_COSFACE_MODEL, undefined), SEED_COSFACE_MODEL);
  assert.throws(
    () => withObjective(SEED_MODEL, { kind: "cosface", scale: 5, margin: 0.1 }),
    /pair objective, not cosface/,
  );
});

Deno.test("pair objective: the model head's logit and binary cross-entropy, correct at 0", async () => {
  await selectBackend("cpu", { log: () => {} });
  const head = tf.tensor2d([[2], [-1], [0.5]]);
  const model = { ...SEED_MODEL, head: () => head };
  const result = objectiveLoss(
    model,
    {},
    {
      left: tf.zeros([3, 4]) as tf.Tensor2D,
      right: tf.zeros([3, 4]) as tf.Tensor2D,
    },
    Float32Array.from([1, 1, 0]),
    INFERENCE_CONTEXT,
  );
  const bce = (z: number, y: number) => Math.log(1 + Math.exp(-z)) + (1 - y) * z;
  const expected = (bce(2, 1) + bce(-1, 1) + bce(0.5, 0)) / 3;
  assert.ok(Math.abs(result.loss.dataSync()[0] - expected) < 1e-5);
  assert.equal(result.correct.dataSync()[0], 1);
});

Deno.test("withObjectiveParams adds the identity weights only to identity objectives", () => {
  assert.equal(withObjectiveParams(SEED_MODEL, 10), SEED_MODEL);
  const model = withObjectiveParams(SEED_COSFACE_MODEL, 10);
  const w = model.params.find((p) => p.name === COSFACE_WEIGHTS)!;
  assert.deepEqual(w.shape, [SEED_COSFACE_MODEL.embeddingSize, 10]);
  assert.equal(w.part, "head");
  assert.throws(() => withObjectiveParams(SEED_COSFACE_MODEL, 1), /at least 2 identities/);
});

function identityBatch(count: number, seed: number) {
  const rng = new Rng(seed);
  const n = count * 32 * 32;
  return {
    left: Float32Array.from({ length: n }, () => rng.nextFloat()),
    right: Float32Array.from({ length: n }, () => rng.nextFloat()),
    labels: Float32Array.from({ length: count }, (_, i) => i % 4),
    count,
  };
}

Deno.test("cosface training: a step lowers the loss; two threads equal one thread bit for bit", async () => {
  await selectBackend("wasm", { log: () => {} });
  const model = withObjectiveParams(SEED_COSFACE_MODEL, 4);
  const initial = initialParamArrays(model, new Rng(5));
  const batch = identityBatch(8, 9);
  const one = new ModelParams(model, initial);
  const adamOne = new Adam();
  const before = batchLoss(one, batch, KEY);
  const stepOne = localTrainStep({ params: one, adam: adamOne }, { batch, key: KEY });
  assert.equal(stepOne.predictions, 16);
  assert.ok(batchLoss(one, batch, KEY) < before);

  const two = new ModelParams(model, initial);
  const adamTwo = new Adam();
  const runner = new SideParallelStepRunner(two, adamTwo, { maxBatch: 8 });
  try {
    const stepTwo = await runner.step(batch, KEY);
    assert.equal(stepTwo.lossSum, stepOne.lossSum);
    assert.equal(stepTwo.correct, stepOne.correct);
  } finally {
    runner.close();
  }
  const a = one.toArrays(), b = two.toArrays();
  for (const [name, values] of a) assert.deepEqual(b.get(name), values, name);
  for (const p of [one, two]) p.dispose();
  adamOne.dispose();
  adamTwo.dispose();
});
