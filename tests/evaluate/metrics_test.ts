import assert from "node:assert/strict";
import {
  bestThreshold,
  classificationMetrics,
  confusionAt,
} from "../../lib/evaluate/classification_metrics.ts";
import { equalErrorRate, rocAuc, rocCurve, tarAtFar } from "../../lib/evaluate/roc_curve.ts";
import { summariseFolds } from "../../lib/evaluate/ten_fold.ts";
import { Rng } from "../../lib/util/rng.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

Deno.test("threshold metrics on a hand-computed case, ties counted as accepted", () => {
  const scores = [0.9, 0.8, 0.5, 0.5, 0.3, 0.1];
  const labels = [1, 0, 1, 0, 1, 0];
  assert.deepEqual(confusionAt(scores, labels, { threshold: 0.5 }), { tp: 2, fp: 2, tn: 1, fn: 1 });
  const m = classificationMetrics(scores, labels, { threshold: 0.5 });
  close(m.accuracy, 3 / 6);
  close(m.errorRate, 0.5);
  close(m.recall, 2 / 3);
  close(m.precision, 2 / 4);
  close(m.f1, 2 * (0.5 * 2 / 3) / (0.5 + 2 / 3));
});

Deno.test("degenerate inputs: all one class and empty input give defined values", () => {
  const allSame = classificationMetrics([0.2, 0.7], [1, 1], { threshold: 0.5 });
  assert.equal(allSame.precision, 1);
  assert.equal(allSame.recall, 0.5);
  const none = classificationMetrics([0.2, 0.3], [0, 0], { threshold: 0.5 });
  assert.deepEqual([none.precision, none.recall, none.f1, none.accuracy], [0, 0, 0, 1]);
  const empty = classificationMetrics([], [], { threshold: 0.5 });
  assert.deepEqual([empty.accuracy, empty.errorRate, empty.f1], [0, 0, 0]);
  assert.equal(bestThreshold([], []), 0.5);
  assert.throws(() => confusionAt([0.1], [], { threshold: 0.5 }), RangeError);
});

Deno.test("the best threshold maximises accuracy and prefers 0.5 among equals", () => {
  assert.equal(bestThreshold([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 0.5);
  const t = bestThreshold([0.6, 0.7, 0.8, 0.9], [0, 0, 1, 1]);
  assert.ok(t > 0.7 && t < 0.8, String(t));
  assert.equal(
    classificationMetrics([0.6, 0.7, 0.8, 0.9], [0, 0, 1, 1], { threshold: t }).accuracy,
    1,
  );
});

Deno.test("ROC and AUC equal a brute-force computation on random scores with ties", () => {
  const rng = new Rng(4);
  const scores = Array.from({ length: 300 }, () => Math.round(rng.nextFloat() * 40) / 40);
  const labels = scores.map((s) => (rng.nextFloat() < s ? 1 : 0));
  // AUC = P(score of a positive > score of a negative) + P(tie) / 2.
  let wins = 0, pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (labels[i] === 1 && labels[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
  }
  const curve = rocCurve(scores, labels);
  close(rocAuc(curve), wins / pairs, 1e-12);
  // Every point equals the confusion at its threshold.
  for (const p of curve.slice(1)) {
    const c = confusionAt(scores, labels, { threshold: p.threshold });
    close(p.tpr, c.tp / (c.tp + c.fn));
    close(p.fpr, c.fp / (c.fp + c.tn));
  }
  assert.deepEqual(curve[0], { threshold: Infinity, fpr: 0, tpr: 0 });
  assert.deepEqual([curve.at(-1)!.fpr, curve.at(-1)!.tpr], [1, 1]);
});

Deno.test("EER and TAR@FAR on simple curves", () => {
  const perfect = rocCurve([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]);
  assert.equal(rocAuc(perfect), 1);
  assert.equal(equalErrorRate(perfect), 0);
  assert.equal(tarAtFar(perfect, 0.001, 1000), 1);
  const inverted = rocCurve([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]);
  assert.equal(rocAuc(inverted), 0);
  assert.equal(equalErrorRate(inverted), 1);
  const coin = rocCurve([0.5, 0.5], [1, 0]);
  close(rocAuc(coin), 0.5);
  close(equalErrorRate(coin), 0.5);
  assert.equal(tarAtFar(coin, 0.01, 100), 0);
});

Deno.test("TAR@FAR is n/a (null) when too few different-person pairs support the FAR", () => {
  const perfect = rocCurve([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]);
  assert.equal(tarAtFar(perfect, 0.001, 999), null);
  assert.equal(tarAtFar(perfect, 0.01, 99), null);
  assert.equal(tarAtFar(perfect, 0.01, 100), 1);
});

Deno.test("non-finite scores are an error, not an endless loop", () => {
  assert.throws(() => rocCurve([NaN, 0.7], [0, 1]), /score 0 is NaN/);
  assert.throws(() => rocCurve([0.1, Infinity], [0, 1]), /score 1 is Infinity/);
});

Deno.test("the ten-fold summary is the mean and sigma / sqrt(10), sigma with n - 1", () => {
  const acc = [0.9, 0.92, 0.88, 0.91, 0.9, 0.89, 0.93, 0.9, 0.87, 0.9];
  const mean = acc.reduce((a, b) => a + b) / 10;
  const sd = Math.sqrt(acc.reduce((s, a) => s + (a - mean) ** 2, 0) / 9);
  const summary = summariseFolds(acc);
  close(summary.mean, mean);
  close(summary.standardError, sd / Math.sqrt(10));
  assert.throws(() => summariseFolds([0.9]), RangeError);
});

Deno.test("an AUC within two null standard errors of 0.5 is flagged as chance", async () => {
  const { nearChance } = await import("../../lib/evaluate/roc_curve.ts");
  // 128 + 128 pairs: the null standard error is about 0.036.
  assert.equal(nearChance(0.55, 128, 128), true);
  assert.equal(nearChance(0.45, 128, 128), true);
  assert.equal(nearChance(0.6, 128, 128), false);
  assert.equal(nearChance(0.6, 10, 10), true);
  assert.equal(nearChance(0.9, 0, 10), true);
});
