import assert from "node:assert/strict";
import { twoCovarianceEm } from "../../lib/fit/two_covariance_em.ts";
import {
  covarianceOfMeans,
  rowsByPerson,
  withinPersonCovariance,
} from "../../lib/linalg/person_covariance.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

type Matrix = number[][];

const zeros = (d: number): Matrix => Array.from({ length: d }, () => new Array(d).fill(0));
const flat = (m: Matrix) => Float64Array.from(m.flat());
const square = (x: ArrayLike<number>, d: number): Matrix =>
  Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => x[i * d + j]));
const times = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const apply = (a: Matrix, x: number[]) => a.map((row) => row.reduce((s, v, k) => s + v * x[k], 0));
const plus = (a: Matrix, b: Matrix, f = 1): Matrix =>
  a.map((r, i) => r.map((v, j) => v + f * b[i][j]));

/** The inverse and log-determinant by Gauss-Jordan elimination with partial pivoting. */
function inverse(m: Matrix): { inv: Matrix; logDet: number } {
  const d = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    logDet += Math.log(Math.abs(a[c][c]));
    const pivot = a[c][c];
    for (let k = 0; k < 2 * d; k++) a[c][k] /= pivot;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let k = 0; k < 2 * d; k++) a[r][k] -= f * a[c][k];
    }
  }
  return { inv: a.map((row) => row.slice(d)), logDet };
}

/** A random symmetric positive definite d x d matrix. */
function spd(d: number, rng: Rng, scale: number): Matrix {
  const b = Array.from({ length: d }, () => Array.from({ length: d }, () => rng.normal()));
  return plus(
    times(b, b.map((_, i) => b.map((row) => row[i]))),
    zeros(d).map((r, i) => r.map((_, j) => (i === j ? 0.5 : 0))),
  ).map((r) => r.map((v) => v * scale));
}

/** A draw of N(0, c) by the Cholesky factor of c. */
function sampler(c: Matrix, rng: Rng): () => number[] {
  const d = c.length, l = zeros(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = c[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  }
  return () => apply(l, Array.from({ length: d }, () => rng.normal()));
}

/** Rows of `people` people drawn from the model, each with 1 to `most` images. */
function drawn(identity: Matrix, within: Matrix, people: number, most: number, seed: number) {
  const rng = new Rng(seed);
  const mu = sampler(identity, rng), eps = sampler(within, rng);
  const rows: number[] = [], ids: number[] = [];
  for (let p = 0; p < people; p++) {
    const centre = mu().map((v) => v + 0.3);
    const count = 1 + rng.nextInt(most);
    for (let i = 0; i < count; i++) {
      rows.push(...eps().map((v, k) => centre[k] + v));
      ids.push(p);
    }
  }
  return { rows: Float64Array.from(rows), ids };
}

/** The closed-form start: the covariance of the means and within people (two images or more). */
function closedForm(rows: Float64Array, d: number, ids: number[]) {
  const groups = rowsByPerson(ids).filter((g) => g.length >= 2);
  const { covariance, means } = withinPersonCovariance(
    (i) => rows.subarray(i * d, (i + 1) * d),
    d,
    groups,
  );
  return { identity: covarianceOfMeans(means, d, 1), within: covariance };
}

/** One EM step written out in the rows' own coordinates, with explicit inverses. */
function referenceStep(rows: Float64Array, d: number, ids: number[], b: Matrix, w: Matrix) {
  const n = ids.length;
  const mean = new Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += rows[i * d + k] / n;
  const x = (i: number) => Array.from({ length: d }, (_, k) => rows[i * d + k] - mean[k]);
  const bInv = inverse(b).inv, wInv = inverse(w).inv;
  let newB = zeros(d), newW = zeros(d), logLikelihood = 0;
  const groups = rowsByPerson(ids);
  for (const group of groups) {
    const m = group.length;
    const post = inverse(plus(bInv, wInv, m)).inv;
    const sum = new Array(d).fill(0);
    for (const i of group) x(i).forEach((v, k) => (sum[k] += v));
    const mu = apply(post, apply(wInv, sum));
    newB = plus(newB, plus(post, mu.map((u) => mu.map((v) => u * v))));
    for (const i of group) {
      const r = x(i).map((v, k) => v - mu[k]);
      newW = plus(newW, plus(post, r.map((u) => r.map((v) => u * v))));
    }
    // log N of the person's stacked rows: covariance blocks w + b on the diagonal, b elsewhere.
    const stackedCov = Array.from(
      { length: m * d },
      (_, i) =>
        Array.from(
          { length: m * d },
          (_, j) =>
            b[i % d][j % d] + (Math.floor(i / d) === Math.floor(j / d) ? w[i % d][j % d] : 0),
        ),
    );
    const z = group.flatMap(x);
    const { inv, logDet } = inverse(stackedCov);
    const quadratic = z.reduce((s, v, i) => s + v * apply(inv, z)[i], 0);
    logLikelihood -= (quadratic + logDet + m * d * Math.log(2 * Math.PI)) / 2;
  }
  return {
    identity: newB.map((r) => r.map((v) => v / groups.length)),
    within: newW.map((r) => r.map((v) => v / n)),
    logLikelihood,
  };
}

const relativeError = (estimate: ArrayLike<number>, truth: Matrix) => {
  const t = truth.flat();
  const diff = Math.hypot(...t.map((v, k) => estimate[k] - v));
  return diff / Math.hypot(...t);
};

Deno.test("an EM step and the log-likelihood equal the same written out with explicit inverses", () => {
  const d = 3, rng = new Rng(11);
  const { rows, ids } = drawn(spd(d, rng, 1), spd(d, rng, 0.5), 40, 4, 3);
  const start = closedForm(rows, d, ids);
  const expected = referenceStep(rows, d, ids, square(start.identity, d), square(start.within, d));
  const got = twoCovarianceEm(rows, d, rowsByPerson(ids), start, 1);
  for (let k = 0; k < d * d; k++) {
    assert.ok(Math.abs(got.identity[k] - flat(expected.identity)[k]) < 1e-9, `identity ${k}`);
    assert.ok(Math.abs(got.within[k] - flat(expected.within)[k]) < 1e-9, `within ${k}`);
  }
  assert.ok(Math.abs(got.logLikelihoods[0] - expected.logLikelihood) < 1e-7);
  const after = referenceStep(rows, d, ids, square(got.identity, d), square(got.within, d));
  assert.ok(Math.abs(got.logLikelihoods[1] - after.logLikelihood) < 1e-7);
});

Deno.test("EM's log-likelihood never falls, and it recovers the covariances the closed form misses", () => {
  const d = 4, rng = new Rng(2);
  const identity = spd(d, rng, 1), within = spd(d, rng, 1);
  // Most people have one to three images, as in LFW: their means hold much of their variation.
  const { rows, ids } = drawn(identity, within, 3000, 3, 9);
  const start = closedForm(rows, d, ids);
  const em = twoCovarianceEm(rows, d, rowsByPerson(ids), start, 30);
  em.logLikelihoods.slice(1).forEach((l, i) => {
    assert.ok(
      l >= em.logLikelihoods[i] - 1e-6,
      `iteration ${i + 1}: ${l} < ${em.logLikelihoods[i]}`,
    );
  });
  assert.ok(em.logLikelihoods.at(-1)! > em.logLikelihoods[0] + 1);
  const startError = relativeError(start.identity, identity);
  const emError = relativeError(em.identity, identity);
  assert.ok(emError < 0.1, `EM's identity covariance is ${emError} off`);
  assert.ok(emError < startError / 2, `EM ${emError} against the closed form's ${startError}`);
  assert.ok(relativeError(em.within, within) < 0.1);
});

Deno.test("no iteration gives back the start and its log-likelihood", () => {
  const d = 2, rng = new Rng(4);
  const { rows, ids } = drawn(spd(d, rng, 1), spd(d, rng, 1), 30, 3, 5);
  const start = closedForm(rows, d, ids);
  const got = twoCovarianceEm(rows, d, rowsByPerson(ids), start, 0);
  assert.deepEqual(got.identity, start.identity);
  assert.deepEqual(got.within, start.within);
  assert.equal(got.logLikelihoods.length, 1);
  const expected = referenceStep(rows, d, ids, square(start.identity, d), square(start.within, d));
  assert.ok(Math.abs(got.logLikelihoods[0] - expected.logLikelihood) < 1e-7);
});

Deno.test("rows that do not vary within people are a one-line UserError, not NaN covariances", () => {
  const rows = Float64Array.of(1, 0, 1, 0, 0, 1, 0, 1);
  const start = closedForm(rows, 2, [0, 0, 1, 1]);
  assert.throws(
    () => twoCovarianceEm(rows, 2, rowsByPerson([0, 0, 1, 1]), start, 3),
    (e: Error) => e instanceof UserError && /do not vary within people/.test(e.message),
  );
});
