import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import {
  exportLayersModel,
  loadExportedModel,
  serializeLayersModel,
} from "../../lib/compare/export_layers_model.ts";
import { pairLogits } from "../../lib/evaluate/predict_pairs.ts";
import { ENSEMBLE_WEIGHTS, memberParamName } from "../../lib/model/ensemble_model.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import { comparesByCosine } from "../../lib/model/siamese_model.ts";
import { INFERENCE_CONTEXT } from "../../lib/train/forward_context.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

const NAME = "seed64_cosface+lbp_lda";

/** The ensemble's parameters: its members' (random, trained-looking) and `weights`. */
function ensembleParams(weights: number[], name = NAME) {
  const model = getModel(name);
  const rng = new Rng(3);
  const values = initialParamArrays(model, rng);
  for (const [name, v] of values) {
    if (name.endsWith("moving_variance")) v.fill(2);
    // The LBP member's projection starts at zeros: give it values.
    if (name.includes("lbp/")) values.set(name, Float32Array.from(v, () => rng.nextFloat() - 0.5));
  }
  values.set(ENSEMBLE_WEIGHTS, Float32Array.from(weights));
  return new ModelParams(model, values);
}

const faces = (seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: 3 * 64 * 64 }, () => rng.nextFloat()), [
    3,
    64,
    64,
    1,
  ]);
};

Deno.test("an ensemble is named by its members; its cosine is the weighted mean of theirs", async () => {
  await selectBackend("wasm", { log: () => {} });
  const model = getModel(NAME);
  assert.equal(model.name, NAME);
  assert.equal(model.embeddingSize, 256 + 100);
  assert.equal(model.objective.kind, "ensemble");
  assert.ok(model.params.every((p) => !p.trainable));
  const [w1, w2] = [Math.sqrt(0.7), Math.sqrt(0.3)];
  const params = ensembleParams([w1, w2]);
  const members = ["seed64_cosface", "lbp_lda"].map(getModel);
  tf.tidy(() => {
    const [a, b] = [faces(1), faces(2)];
    const p = params.tensors();
    const cosine = (x: tf.Tensor2D, y: tf.Tensor2D) =>
      tf.div(tf.sum(tf.mul(x, y), 1), tf.mul(tf.norm(x, 2, 1), tf.norm(y, 2, 1)));
    const memberCosines = members.map((m, i) => {
      const own = Object.fromEntries(m.params.map((s) => [s.name, p[memberParamName(i, s.name)]]));
      return cosine(
        m.embed(own, a, INFERENCE_CONTEXT),
        m.embed(own, b, INFERENCE_CONTEXT),
      );
    });
    const expected = tf.add(tf.mul(memberCosines[0], 0.7), tf.mul(memberCosines[1], 0.3));
    const ours = cosine(
      model.embed(p, a, INFERENCE_CONTEXT),
      model.embed(p, b, INFERENCE_CONTEXT),
    );
    const gap = tf.max(tf.abs(tf.sub(ours, expected))).dataSync()[0];
    assert.ok(gap < 1e-4, `gap ${gap}`);
  });
  params.dispose();
});

Deno.test("an ensemble's layers-format export predicts what the ensemble predicts", async () => {
  await selectBackend("cpu", { log: () => {} });
  const params = ensembleParams([0.8, 0.6]);
  const [a, b] = [faces(4), faces(5)];
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

Deno.test("members must compare embeddings and read faces of one size; unknown members are named", () => {
  const refused = (name: string, pattern: RegExp) =>
    assert.throws(
      () => getModel(name),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
    );
  refused("seed+lbp_lda", /member seed verifies pairs with a learnt head/);
  refused("seed_cosface+lbp_lda", /different sizes \(lbp_lda: 64, seed_cosface: 32\)/);
  refused("seed64_cosface+nope", /unknown model "nope"/);
});

Deno.test("with a member scored by its own head (lbp_jb), the ensemble's logit is the weighted sum of the members' logits; the export agrees", async () => {
  await selectBackend("cpu", { log: () => {} });
  const name = "seed64_cosface+lbp_jb";
  const model = getModel(name);
  assert.equal(comparesByCosine(model), false);
  assert.equal(comparesByCosine(getModel(NAME)), true, "cosine members still fuse as one cosine");
  const [w1, w2] = [0.3, 0.7];
  const params = ensembleParams([Math.sqrt(w1), Math.sqrt(w2)], name);
  const members = ["seed64_cosface", "lbp_jb"].map(getModel);
  const [a, b] = [faces(6), faces(7)];
  tf.tidy(() => {
    const p = params.tensors();
    const memberLogits = members.map((m, i) => {
      const own = Object.fromEntries(m.params.map((s) => [s.name, p[memberParamName(i, s.name)]]));
      return m.head(
        own,
        m.embed(own, a, INFERENCE_CONTEXT),
        m.embed(own, b, INFERENCE_CONTEXT),
        INFERENCE_CONTEXT,
      );
    });
    const expected = tf.add(tf.mul(memberLogits[0], w1), tf.mul(memberLogits[1], w2));
    const ours = pairLogits(params, { left: a, right: b }, { flip: false });
    const gap = tf.max(tf.abs(tf.sub(ours, expected))).dataSync()[0];
    assert.ok(gap < 1e-3, `gap ${gap}`);
  });
  // One member alone (the other's weight 0) scores as that member: how the fit scores them.
  const alone = ensembleParams([0, 1], name);
  tf.tidy(() => {
    const p = alone.tensors();
    const jb = members[1];
    const own = Object.fromEntries(jb.params.map((s) => [s.name, p[memberParamName(1, s.name)]]));
    const expected = jb.head(
      own,
      jb.embed(own, a, INFERENCE_CONTEXT),
      jb.embed(own, b, INFERENCE_CONTEXT),
      INFERENCE_CONTEXT,
    );
    const gap =
      tf.max(tf.abs(tf.sub(pairLogits(alone, { left: a, right: b }, { flip: false }), expected)))
        .dataSync()[0];
    assert.ok(gap < 1e-3, `gap ${gap}`);
  });
  alone.dispose();
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

for (const name of ["seed64_cosface+seed64_cosface", "lbp_lda+lbp_jb"]) {
  Deno.test(`an ensemble of two members of one model family (${name}) exports, saves and loads, and agrees with ours`, async () => {
    await selectBackend("cpu", { log: () => {} });
    const [w1, w2] = [0.4, 0.6];
    const params = ensembleParams([Math.sqrt(w1), Math.sqrt(w2)], name);
    const [a, b] = [faces(8), faces(9)];
    const ours = tf.tidy(() =>
      tf.sigmoid(pairLogits(params, { left: a, right: b }, { flip: false })).dataSync()
    );
    const exported = exportLayersModel(params);
    // Through the files, as a user loads it: weights are matched to layers by name there.
    const loaded = await loadExportedModel(await serializeLayersModel(exported));
    const theirs = tf.tidy(() => (loaded.predict([a, b]) as tf.Tensor).dataSync());
    for (let i = 0; i < 3; i++) {
      assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-4, `${ours[i]} vs ${theirs[i]}`);
    }
    // Each member's part of the exported embedding is that member's own (a mix-up of two
    // members' weights, which share layer and parameter names within a member, would show here).
    const model = getModel(name);
    const half = model.embeddingSize / 2;
    const [want, got] = tf.tidy(() => [
      model.embed(params.tensors(), a, INFERENCE_CONTEXT).arraySync() as number[][],
      ((loaded.getLayer("branch") as tf.LayersModel).predict(a) as tf.Tensor)
        .arraySync() as number[][],
    ]);
    for (let j = 0; j < model.embeddingSize; j++) {
      assert.ok(
        Math.abs(want[0][j] - got[0][j]) < 1e-4,
        `embedding ${j}: ${want[0][j]} vs ${got[0][j]}`,
      );
    }
    assert.ok(want[0].slice(0, half).some((x, j) => Math.abs(x - want[0][half + j]) > 1e-3));
    [exported, loaded].forEach((m) => m.dispose());
    tf.dispose([a, b]);
    params.dispose();
  });
}
