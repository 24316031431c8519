import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel, MODELS } from "../../lib/model/registry.ts";
import { Adam } from "../../lib/train/adam.ts";
import { INFERENCE_CONTEXT } from "../../lib/train/forward_context.ts";
import { learnsIdentities, withObjectiveParams } from "../../lib/train/objective.ts";
import { batchLoss, localTrainStep } from "../../lib/train/train_step.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";
import { exportLayersModel } from "../../lib/compare/export_layers_model.ts";
import { pairLogits } from "../../lib/evaluate/predict_pairs.ts";

const KEY = { seed: 1, epoch: 1, batch: 0 };

// Models trained by steps; fitted models (no trainable parameters) are tested below.
for (const name of Object.keys(MODELS).filter((n) => !MODELS[n].fitted)) {
  Deno.test(`model ${name}: embeddings of the declared size, symmetric verification, a step lowers the loss without leaks`, async () => {
    await selectBackend("wasm", { log: () => {} });
    const model = withObjectiveParams(getModel(name), 4);
    const params = new ModelParams(model, initialParamArrays(model, new Rng(2)));
    const adam = new Adam();
    const size = model.inputSize;
    const count = 8;
    const rng = new Rng(3);
    const batch = {
      left: Float32Array.from({ length: count * size * size }, () => rng.nextFloat()),
      right: Float32Array.from({ length: count * size * size }, () => rng.nextFloat()),
      labels: Float32Array.from(
        { length: count },
        (_, i) => learnsIdentities(model) ? i % 4 : i % 2,
      ),
      count,
    };
    tf.tidy(() => {
      const left = tf.tensor4d(batch.left, [count, size, size, 1]);
      const right = tf.tensor4d(batch.right, [count, size, size, 1]);
      const p = params.tensors();
      const el = model.embed(p, left, INFERENCE_CONTEXT),
        er = model.embed(p, right, INFERENCE_CONTEXT);
      assert.deepEqual(el.shape, [count, model.embeddingSize]);
      const ab = model.head(p, el, er, INFERENCE_CONTEXT).dataSync();
      const ba = model.head(p, er, el, INFERENCE_CONTEXT).dataSync();
      for (let i = 0; i < count; i++) assert.ok(Math.abs(ab[i] - ba[i]) < 1e-4);
    });
    const before = batchLoss(params, batch, KEY);
    localTrainStep({ params, adam }, { batch, key: KEY });
    const tensors = tf.memory().numTensors;
    localTrainStep({ params, adam }, { batch, key: { ...KEY, batch: 1 } });
    assert.equal(tf.memory().numTensors, tensors, "a step leaks no tensors");
    assert.ok(batchLoss(params, batch, KEY) < before);
    params.dispose();
    adam.dispose();
  });
}

/** Models composed by name (`pipeline_spec.ts`, `framed_model.ts`), exported like registered ones. */
const COMPOSED = [
  "frame=head_and_face/crop=face100/lbp/pca=50/lda=20/cosine",
  "frame=head_and_face/crop=head/fisher:size=64,cell=3,gaussians=8/pca=60/lda=10/jb",
  // A network reading a crop of the frame (`framed_model.ts`).
  "frame=head_and_face/crop=face100/seed64_cosface",
];

for (const name of [...Object.keys(MODELS), ...COMPOSED]) {
  Deno.test(`model ${name}: the layers-format export predicts what the model predicts`, async () => {
    await selectBackend("cpu", { log: () => {} });
    const model = getModel(name);
    // Trained-looking batch-norm statistics, so the export must carry them to match.
    const values = initialParamArrays(model, new Rng(7));
    for (const [key, v] of values) {
      if (key.endsWith("moving_mean")) v.fill(0.1);
      if (key.endsWith("moving_variance")) v.fill(2);
    }
    // A fitted model starts at zeros: give its projection values to carry (a fitted encoder's
    // variances and weights are positive).
    const fill = new Rng(9);
    const encoder = new Set(model.fitted?.encoder?.params ?? []);
    for (const p of model.params) {
      if (p.init === "zeros" && !p.trainable && model.fitted) {
        const low = encoder.has(p.name) ? -0.5 : 0.5;
        values.set(p.name, Float32Array.from(values.get(p.name)!, () => fill.nextFloat() - low));
      }
    }
    const params = new ModelParams(model, values);
    const size = model.inputSize;
    const rng = new Rng(8);
    const make = () =>
      tf.tensor4d(Float32Array.from({ length: 3 * size * size }, () => rng.nextFloat()), [
        3,
        size,
        size,
        1,
      ]);
    const [a, b] = [make(), make()];
    const exported = exportLayersModel(params);
    const ours = tf.tidy(() =>
      tf.sigmoid(pairLogits(params, { left: a, right: b }, { flip: false })).dataSync()
    );
    const theirs = tf.tidy(() => (exported.predict([a, b]) as tf.Tensor).dataSync());
    for (let i = 0; i < 3; i++) {
      assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-4, `${ours[i]} vs ${theirs[i]}`);
    }
    exported.dispose();
    tf.dispose([a, b]);
    params.dispose();
  });
}

for (const name of Object.keys(MODELS).filter((n) => MODELS[n].fitted)) {
  Deno.test(`model ${name} (fitted): embeddings of the declared size from its descriptor, symmetric verification, nothing to train`, async () => {
    await selectBackend("wasm", { log: () => {} });
    const model = getModel(name);
    assert.ok(model.params.every((p) => !p.trainable));
    const fitted = model.fitted!;
    const rng = new Rng(4);
    const size = model.inputSize;
    tf.tidy(() => {
      const faces = tf.tensor4d(
        Float32Array.from({ length: 4 * size * size }, () => rng.nextFloat()),
        [4, size, size, 1],
      );
      // A fitted encoder's values (variances, weights) are positive.
      const encoder = new Set(fitted.encoder?.params ?? []);
      const values = new Map(
        model.params.map((p) => [
          p.name,
          Float32Array.from(
            { length: p.shape.reduce((a, b) => a * b, 1) },
            () => rng.nextFloat() - (encoder.has(p.name) ? -0.5 : 0.5),
          ),
        ]),
      );
      // Fits give symmetric square head matrices (a Joint Bayesian head's A and G).
      for (const spec of model.params) {
        const [rows, cols] = spec.shape;
        if (spec.part !== "head" || spec.shape.length !== 2 || rows !== cols) continue;
        const m = values.get(spec.name)!;
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < i; j++) m[j * rows + i] = m[i * rows + j];
        }
      }
      const params = new ModelParams(model, values);
      const p = params.tensors();
      const described = fitted.descriptor(faces, p);
      assert.ok(tf.all(tf.isFinite(described)).dataSync()[0]);
      const features = described.shape[1];
      const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
      assert.deepEqual(shapes.get(fitted.projection), [features, model.embeddingSize]);
      assert.deepEqual(shapes.get(fitted.offset), [model.embeddingSize]);
      const e = model.embed(p, faces, INFERENCE_CONTEXT);
      assert.deepEqual(e.shape, [4, model.embeddingSize]);
      // embed = descriptor x projection + offset
      const expected = tf.add(
        tf.matMul(described, p[fitted.projection] as tf.Tensor2D),
        p[fitted.offset],
      );
      assert.ok(tf.max(tf.abs(tf.sub(e, expected))).dataSync()[0] < 1e-4);
      const l = tf.slice(e, [0, 0], [2, -1]) as tf.Tensor2D,
        r = tf.slice(e, [2, 0], [2, -1]) as tf.Tensor2D;
      const ab = model.head(p, l, r, INFERENCE_CONTEXT).dataSync();
      const ba = model.head(p, r, l, INFERENCE_CONTEXT).dataSync();
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(ab[i] - ba[i]) < 1e-4);
      params.dispose();
    });
  });
}

Deno.test("an unknown model name is a UserError listing the known ones", () => {
  assert.throws(
    () => getModel("nope"),
    (e: Error) => e instanceof UserError && /known: seed/.test(e.message),
  );
});
