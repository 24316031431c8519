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

for (const name of Object.keys(MODELS)) {
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

for (const name of Object.keys(MODELS)) {
  Deno.test(`model ${name}: the layers-format export predicts what the model predicts`, async () => {
    await selectBackend("cpu", { log: () => {} });
    const model = getModel(name);
    // Trained-looking batch-norm statistics, so the export must carry them to match.
    const values = initialParamArrays(model, new Rng(7));
    for (const [key, v] of values) {
      if (key.endsWith("moving_mean")) v.fill(0.1);
      if (key.endsWith("moving_variance")) v.fill(2);
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

Deno.test("an unknown model name is a UserError listing the known ones", () => {
  assert.throws(
    () => getModel("nope"),
    (e: Error) => e instanceof UserError && /known: seed/.test(e.message),
  );
});
