import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { pairLogits, predictPairs, predictPairsAsync } from "../../lib/evaluate/predict_pairs.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import type { PairColumns } from "../../lib/train/pair_batches.ts";
import { Rng } from "../../lib/util/rng.ts";

const SIZE = 32;

/** Random faces and pairs in which images recur (as in LFW's pair lists). */
function fixture(seed: number) {
  const rng = new Rng(seed);
  const images = 12;
  const faces = Uint8Array.from({ length: images * SIZE * SIZE }, () => rng.nextInt(256));
  const count = 21; // not a multiple of the batch size
  const pairs: PairColumns = {
    a: Int32Array.from({ length: count }, () => rng.nextInt(images)),
    b: Int32Array.from({ length: count }, () => rng.nextInt(images)),
    same: Uint8Array.from({ length: count }, (_, i) => i % 2),
  };
  return { faces, pairs };
}

/** Each pair scored on its own by pairLogits: the reference the pass must reproduce. */
function pairByPair(params: ModelParams, faces: Uint8Array, pairs: PairColumns, flip: boolean) {
  const face = (i: number) =>
    tf.tensor4d(
      Float32Array.from(faces.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), (v) => v / 255),
      [1, SIZE, SIZE, 1],
    );
  return Array.from(pairs.a, (a, k) =>
    tf.tidy(() => {
      const z = pairLogits(params, { left: face(a), right: face(pairs.b[k]) }, { flip });
      return 1 / (1 + Math.exp(-z.dataSync()[0]));
    }));
}

for (const name of ["seed", "seed_cosface"]) {
  Deno.test(`predictPairs embeds each image once and scores every pair as pair by pair (${name})`, async () => {
    await selectBackend("wasm", { log: () => {} });
    const plain = getModel(name);
    assert.equal(plain.inputSize, SIZE, "the fixture's faces are the model's input size");
    let embedded = 0; // images through the embedding network
    const model = {
      ...plain,
      embed: (...args: Parameters<typeof plain.embed>) => {
        embedded += args[1].shape[0];
        return plain.embed(...args);
      },
    };
    const params = new ModelParams(model, initialParamArrays(model, new Rng(3)));
    const { faces, pairs } = fixture(7);
    const distinct = new Set([...pairs.a, ...pairs.b]).size;
    assert.ok(distinct < 2 * pairs.a.length, "images recur in the fixture");
    const input = { faces, size: SIZE, pairs, batchSize: 8, seed: 1, augment: null };
    for (const flip of [false, true]) {
      const expected = pairByPair(params, faces, pairs, flip);
      const before = tf.memory().numTensors;
      embedded = 0;
      const sync = predictPairs(params, input, { flip });
      assert.equal(embedded, distinct * (flip ? 2 : 1), "each distinct image embedded once");
      assert.equal(tf.memory().numTensors, before, "no tensor is left behind");
      const asynchronous = await predictPairsAsync(params, input, { flip });
      assert.equal(sync.probabilities.length, pairs.a.length);
      for (let k = 0; k < expected.length; k++) {
        assert.ok(
          Math.abs(sync.probabilities[k] - expected[k]) < 1e-5,
          `pair ${k}: ${sync.probabilities[k]} vs ${expected[k]}`,
        );
        assert.equal(asynchronous.probabilities[k], sync.probabilities[k]);
      }
      const correct = expected.filter((p, k) => (p >= 0.5 ? 1 : 0) === pairs.same[k]).length;
      assert.equal(sync.accuracy, correct / pairs.a.length);
    }
    params.dispose();
  });
}

Deno.test("predictPairs with no pairs gives empty probabilities and NaN figures", async () => {
  await selectBackend("wasm", { log: () => {} });
  const model = getModel("seed_cosface");
  const params = new ModelParams(model, initialParamArrays(model, new Rng(3)));
  const empty = { a: new Int32Array(0), b: new Int32Array(0), same: new Uint8Array(0) };
  const out = predictPairs(params, {
    faces: new Uint8Array(0),
    size: SIZE,
    pairs: empty,
    batchSize: 8,
    seed: 1,
    augment: null,
  });
  assert.equal(out.probabilities.length, 0);
  assert.ok(Number.isNaN(out.accuracy));
  params.dispose();
});
