/**
 * A fitted descriptor model's pairs (or an ensemble of such models') scored with its descriptors
 * computed by workers give the scores of the one-thread scoring, with and without mirror averaging.
 */
import assert from "node:assert/strict";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import {
  scoredByDescriptors,
  scorePairsByDescriptors,
} from "../../lib/evaluate/descriptor_scores.ts";
import { scorePairs } from "../../lib/evaluate/validation_scores.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import { ENSEMBLE_WEIGHTS, memberParamName } from "../../lib/model/ensemble_model.ts";
import { Rng } from "../../lib/util/rng.ts";

await selectBackend("wasm", { log: () => {} });

/** A fitted model's parameters with random values (a proper mixture for an encoder). */
function randomFit(name: string, seed: number): ModelParams {
  return new ModelParams(getModel(name), randomValues(name, seed));
}

/** Random values of a fitted model's parameters (a proper mixture for an encoder). */
function randomValues(name: string, seed: number): Map<string, Float32Array> {
  const model = getModel(name);
  const rng = new Rng(seed);
  const values = initialParamArrays(model, rng);
  const encoder = new Set(model.fitted?.encoder?.params ?? []);
  for (const p of model.params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const v = encoder.has(p.name)
      ? Float32Array.from({ length: size }, () => rng.uniform(0.2, 1))
      : Float32Array.from({ length: size }, () => rng.uniform(-0.1, 0.1));
    if (p.name.endsWith("/weights")) v.fill(1 / size);
    values.set(p.name, v);
  }
  return values;
}

/** Scores of `weights` by workers equal the one-thread scoring's, with and without flip. */
async function assertScoredAsInOneThread(weights: ModelParams, seed: number) {
  assert.ok(scoredByDescriptors(weights));
  const size = weights.model.inputSize, rng = new Rng(seed), count = 40;
  const faces = Uint8Array.from({ length: count * size * size }, () => rng.nextInt(256));
  const n = 70;
  const pairs = {
    a: Int32Array.from({ length: n }, () => rng.nextInt(count)),
    b: Int32Array.from({ length: n }, () => rng.nextInt(count)),
    same: Uint8Array.from({ length: n }, () => rng.nextInt(2)),
  };
  const images = new Set([...pairs.a, ...pairs.b]).size;
  for (const flip of [true, false]) {
    const input = { faces, size, pairs, seed: 1 };
    const scoring = { flip, tta: 0 };
    const alone = await scorePairs(weights, input, scoring);
    let described = 0;
    const progress = { advance: (k: number) => described += k, finish: () => {} };
    const shared = await scorePairsByDescriptors(weights, input, flip, { workers: 2, progress });
    assert.equal(described, images, "the progress counts each image once");
    assert.ok(new Set(alone.probabilities).size > 1, "the pairs get different scores");
    for (let i = 0; i < n; i++) {
      const [x, y] = [shared.probabilities[i], alone.probabilities[i]];
      assert.ok(Math.abs(x - y) < 1e-5, `flip ${flip}, pair ${i}: ${x} vs ${y}`);
    }
    assert.ok(Math.abs(shared.loss - alone.loss) < 1e-4);
  }
}

for (const name of ["lbp_jb", "fisher_jb"]) {
  Deno.test(`${name}: pairs scored with workers describing the faces, as in one thread`, async () => {
    const weights = randomFit(name, 3);
    try {
      await assertScoredAsInOneThread(weights, 4);
    } finally {
      weights.dispose();
    }
  });
}

Deno.test("an ensemble of fitted descriptor models: pairs scored with workers, as in one thread", async () => {
  // Each member's parameters under its prefix; unequal weights (their square roots are stored).
  const values = new Map<string, Float32Array>();
  ["lbp_jb", "fisher_jb"].forEach((name, i) => {
    for (const [p, v] of randomValues(name, 7 + i)) values.set(memberParamName(i, p), v);
  });
  values.set(ENSEMBLE_WEIGHTS, Float32Array.of(Math.sqrt(0.3), Math.sqrt(0.7)));
  const weights = new ModelParams(getModel("lbp_jb+fisher_jb"), values);
  try {
    await assertScoredAsInOneThread(weights, 5);
  } finally {
    weights.dispose();
  }
});

Deno.test("networks, and ensembles with a network, are scored in this thread", () => {
  for (const name of ["seed64_cosface", "seed64_cosface+lbp_lda"]) {
    const model = getModel(name);
    const weights = new ModelParams(model, initialParamArrays(model, new Rng(1)));
    assert.ok(!scoredByDescriptors(weights), name);
    weights.dispose();
  }
});
