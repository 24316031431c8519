import assert from "node:assert/strict";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { bestThreshold, classificationMetrics } from "../../lib/evaluate/classification_metrics.ts";
import { predictPairsAsync } from "../../lib/evaluate/predict_pairs.ts";
import { rocAuc, rocCurve } from "../../lib/evaluate/roc_curve.ts";
import {
  pairsFingerprint,
  reusableValidation,
  scorePairs,
  storedValidation,
  TEST_SCORING,
  validationFigures,
} from "../../lib/evaluate/validation_scores.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("pairs are scored as test scores them by default (mirror averaging), or as asked", async () => {
  await selectBackend("wasm", { log: () => {} });
  assert.deepEqual({ ...TEST_SCORING }, { flip: TEST_DEFAULTS.flip, tta: TEST_DEFAULTS.tta });
  const model = getModel("seed");
  const params = new ModelParams(model, initialParamArrays(model, new Rng(3)));
  const size = model.inputSize, rng = new Rng(5);
  const faces = Uint8Array.from({ length: 6 * size * size }, () => rng.nextInt(256));
  const pairs = {
    a: Int32Array.of(0, 1, 2, 3),
    b: Int32Array.of(4, 5, 0, 1),
    same: Uint8Array.of(1, 0, 1, 0),
  };
  const input = { faces, size, pairs, batchSize: 256, seed: 1, augment: null };
  try {
    for (const flip of [true, false]) {
      const expected = await predictPairsAsync(params, input, { flip });
      const scored = flip
        ? await scorePairs(params, { faces, size, pairs, seed: 1 })
        : await scorePairs(params, { faces, size, pairs, seed: 1 }, { flip, tta: 0 });
      assert.deepEqual([...scored.probabilities], [...expected.probabilities], `flip ${flip}`);
    }
  } finally {
    params.dispose();
  }
});

Deno.test("validation figures: the threshold chosen on the scores, the accuracy there, the AUC", () => {
  const p = Float32Array.of(0.9, 0.8, 0.35, 0.3, 0.6, 0.1);
  const same = Uint8Array.of(1, 1, 1, 0, 0, 0);
  const threshold = bestThreshold(p, [...same]);
  assert.deepEqual(validationFigures(p, same), {
    threshold,
    accuracy: classificationMetrics(p, [...same], { threshold }).accuracy,
    auc: rocAuc(rocCurve(p, same)),
  });
  assert.equal(validationFigures(p, same).accuracy, 5 / 6);
});

Deno.test("stored validation scores are reused only for the same pairs and the same scoring", () => {
  const pairs = {
    a: Int32Array.of(0, 1, 2),
    b: Int32Array.of(3, 4, 5),
    same: Uint8Array.of(1, 0, 1),
  };
  const p = Float32Array.of(0.9, 0.2, 0.7);
  const meta = { seed: 1, validation: storedValidation(pairs, p) };
  assert.deepEqual(reusableValidation(meta, pairs, TEST_SCORING), p);
  assert.equal(
    reusableValidation(meta, pairs, { ...TEST_SCORING, flip: !TEST_SCORING.flip }),
    undefined,
  );
  assert.equal(reusableValidation(meta, pairs, { ...TEST_SCORING, tta: 5 }), undefined);
  assert.equal(reusableValidation({ seed: 1 }, pairs, TEST_SCORING), undefined);
  // Other pairs: another image, another label, another order, one pair fewer.
  const others = [
    { ...pairs, b: Int32Array.of(3, 4, 6) },
    { ...pairs, same: Uint8Array.of(1, 1, 1) },
    { a: Int32Array.of(1, 0, 2), b: Int32Array.of(4, 3, 5), same: Uint8Array.of(0, 1, 1) },
    { a: pairs.a.slice(0, 2), b: pairs.b.slice(0, 2), same: pairs.same.slice(0, 2) },
  ];
  for (const other of others) {
    assert.notEqual(pairsFingerprint(other), pairsFingerprint(pairs));
    assert.equal(reusableValidation(meta, other, TEST_SCORING), undefined);
  }
});
