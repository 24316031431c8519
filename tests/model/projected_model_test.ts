import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import {
  exportLayersModel,
  loadExportedModel,
  serializeLayersModel,
} from "../../lib/compare/export_layers_model.ts";
import {
  fitWccn,
  projectedCosine,
  projectedParams,
} from "../../lib/evaluate/embedding_projection.ts";
import { embedFaces, pairLogits } from "../../lib/evaluate/predict_pairs.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import {
  PROJECTION_BIAS,
  PROJECTION_KERNEL,
  withProjection,
} from "../../lib/model/projected_model.ts";
import { getModel } from "../../lib/model/registry.ts";
import { COSINE_LOGIT_SCALE } from "../../lib/model/scaled_cosine.ts";
import { Rng } from "../../lib/util/rng.ts";

const MODEL = getModel("seed_cosface");

Deno.test("withProjection adds a fixed (untrained) kernel and bias and keeps the branch", () => {
  const projected = withProjection(MODEL);
  const added = projected.params.slice(MODEL.params.length);
  assert.deepEqual(added.map((p) => [p.name, p.shape, p.trainable]), [
    [PROJECTION_KERNEL, [MODEL.embeddingSize, MODEL.embeddingSize], false],
    [PROJECTION_BIAS, [MODEL.embeddingSize], false],
  ]);
  assert.equal(projected.embed, MODEL.embed);
  assert.equal(withProjection(projected), projected, "projecting twice changes nothing");
});

Deno.test("the projected head, its layers export and the reference projection give one score", async () => {
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(5);
  const size = MODEL.inputSize, count = 6;
  const faces = (seed: number) => {
    const r = new Rng(seed);
    return tf.tensor4d(
      Float32Array.from({ length: count * size * size }, () => r.nextFloat()),
      [count, size, size, 1],
    );
  };
  const left = faces(1), right = faces(2);
  const plain = new ModelParams(MODEL, initialParamArrays(MODEL, rng));
  // A projection fitted on the model's own embeddings of 12 images of 4 "people".
  const fitting = faces(3);
  const fitted = tf.concat([embedFaces(plain, fitting, false), embedFaces(plain, faces(4), false)]);
  const projection = fitWccn(
    fitted.dataSync() as Float32Array,
    [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3],
    MODEL.embeddingSize,
    { lambda: 1e-3 },
  );
  const d = MODEL.embeddingSize;
  const l = embedFaces(plain, left, false).dataSync(),
    r = embedFaces(plain, right, false).dataSync();
  const expected = Array.from(
    { length: count },
    (_, i) =>
      COSINE_LOGIT_SCALE *
      projectedCosine(projection, l.subarray(i * d, (i + 1) * d), r.subarray(i * d, (i + 1) * d)),
  );
  const params = await projectedParams(plain, projection);
  const logits = pairLogits(params, { left, right }, { flip: false }).dataSync();
  for (let i = 0; i < count; i++) {
    assert.ok(
      Math.abs(logits[i] - expected[i]) < 1e-3,
      `pair ${i}: ${logits[i]} vs ${expected[i]}`,
    );
  }
  // The same projection is no projection at all when it is the identity: a real change here.
  assert.ok(
    expected.some((e, i) => {
      const norm = (v: ArrayLike<number>, k: number) =>
        Math.hypot(...Array.from({ length: d }, (_, j) => v[k * d + j]));
      let dot = 0;
      for (let j = 0; j < d; j++) dot += l[i * d + j] * r[i * d + j];
      return Math.abs(e - COSINE_LOGIT_SCALE * dot / (norm(l, i) * norm(r, i))) > 1e-2;
    }),
    "the projection changes the scores",
  );
  const exported = await loadExportedModel(await serializeLayersModel(exportLayersModel(params)));
  const probabilities = (exported.predict([left, right]) as tf.Tensor).dataSync();
  for (let i = 0; i < count; i++) {
    const p = 1 / (1 + Math.exp(-expected[i]));
    assert.ok(
      Math.abs(probabilities[i] - p) < 1e-4,
      `exported pair ${i}: ${probabilities[i]} vs ${p}`,
    );
  }
  params.dispose();
});
