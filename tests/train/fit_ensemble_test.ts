import assert from "node:assert/strict";
import { rocAuc, rocCurve } from "../../lib/evaluate/roc_curve.ts";
import { chooseWeights, simplexGrid } from "../../lib/train/fit_ensemble.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("the weight grid covers the simplex: every point sums to 1", () => {
  assert.equal(simplexGrid(2, 0.05).length, 21);
  assert.equal(simplexGrid(3, 0.05).length, 231);
  for (const w of simplexGrid(3, 0.1)) {
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(w.every((x) => x >= 0));
  }
});

Deno.test("two members with errors of their own: the chosen mix beats both; a useless member gets no weight", () => {
  const rng = new Rng(4);
  const gauss = () => {
    const u = Math.max(rng.nextFloat(), 1e-12), v = rng.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const n = 2000;
  const same = Uint8Array.from({ length: n }, (_, i) => i % 2);
  const member = (noise: number) => Float32Array.from(same, (y) => y + noise * gauss());
  const [a, b, useless] = [member(0.8), member(1.0), Float32Array.from(same, () => gauss())];
  const auc = (s: Float32Array) => rocAuc(rocCurve(s, same));
  const chosen = chooseWeights([a, b], same);
  assert.ok(chosen.auc > Math.max(auc(a), auc(b)) + 0.01, `${chosen.auc} vs ${auc(a)}, ${auc(b)}`);
  assert.ok(chosen.weights[0] > chosen.weights[1], "the better member weighs more");
  const withUseless = chooseWeights([a, useless], same);
  assert.ok(withUseless.weights[1] <= 0.05, `useless member's weight ${withUseless.weights[1]}`);
});
