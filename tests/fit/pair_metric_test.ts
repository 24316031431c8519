import assert from "node:assert/strict";
import { fitPairMetric, gradients } from "../../lib/fit/pair_metric.ts";
import { normalised } from "../../lib/linalg/person_covariance.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

/** The batch loss by its definition, pair by pair. */
function lossByLoops(
  w: Float64Array,
  v: Float64Array,
  bias: number,
  x: Float64Array,
  y: Float64Array,
  target: Float64Array,
  rank: number,
  dim: number,
): number {
  let total = 0;
  for (let k = 0; k < target.length; k++) {
    let distance = 0, similarity = 0;
    for (let r = 0; r < rank; r++) {
      let wd = 0, vx = 0, vy = 0;
      for (let j = 0; j < dim; j++) {
        wd += w[r * dim + j] * (x[k * dim + j] - y[k * dim + j]);
        vx += v[r * dim + j] * x[k * dim + j];
        vy += v[r * dim + j] * y[k * dim + j];
      }
      distance += wd * wd;
      similarity += vx * vy;
    }
    total += Math.log(1 + Math.exp(-target[k] * (bias - distance / 2 + similarity)));
  }
  return total / target.length;
}

Deno.test("pair metric: the loss and its gradients agree with the definition and finite differences", () => {
  const rng = new Rng(5);
  const [rank, dim, batch] = [3, 5, 6];
  const random = (length: number) => Float64Array.from({ length }, () => rng.normal());
  const w = random(rank * dim),
    v = random(rank * dim),
    x = random(batch * dim),
    y = random(batch * dim);
  const target = Float64Array.of(1, 1, 1, -1, -1, -1), bias = 0.3;
  const g = gradients(w, v, bias, x, y, target, rank, dim);
  const loss = (ww: Float64Array, vv: Float64Array, b: number) =>
    lossByLoops(ww, vv, b, x, y, target, rank, dim);
  assert.ok(Math.abs(g.loss - loss(w, v, bias)) < 1e-12);
  const h = 1e-6;
  for (const [name, m, grad] of [["W", w, g.gw], ["V", v, g.gv]] as const) {
    for (let k = 0; k < m.length; k++) {
      const up = Float64Array.from(m), down = Float64Array.from(m);
      up[k] += h;
      down[k] -= h;
      const numeric = name === "W"
        ? (loss(up, v, bias) - loss(down, v, bias)) / (2 * h)
        : (loss(w, up, bias) - loss(w, down, bias)) / (2 * h);
      assert.ok(Math.abs(numeric - grad[k]) < 1e-6, `d/d${name}[${k}]: ${grad[k]} vs ${numeric}`);
    }
  }
  const numericBias = (loss(w, v, bias + h) - loss(w, v, bias - h)) / (2 * h);
  assert.ok(Math.abs(numericBias - g.gb) < 1e-6);
});

/** People whose identity lies in the first two of `dim` coordinates, buried in noise elsewhere. */
function syntheticPeople(rng: Rng, people: number, each: number, dim: number) {
  const rows: number[] = [], ids: number[] = [];
  for (let p = 0; p < people; p++) {
    const centre = [rng.normal(), rng.normal()];
    for (let k = 0; k < each; k++) {
      for (let j = 0; j < dim; j++) {
        rows.push(j < 2 ? 3 * centre[j] + 0.3 * rng.normal() : rng.normal());
      }
      ids.push(p);
    }
  }
  return { rows: Float32Array.from(rows), ids };
}

Deno.test("pair metric: learns which coordinates tell people apart, and scores as its quadratic form", () => {
  const dim = 8, rng = new Rng(9);
  const train = syntheticPeople(rng, 60, 4, dim), test = syntheticPeople(rng, 40, 2, dim);
  const fit = fitPairMetric(train.rows, dim, train.ids, {
    rank: 4,
    steps: 400,
    seed: 3,
    batch: 128,
  });
  assert.ok(fit.losses.at(-1)! < 0.8 * fit.losses[0], `the loss falls: ${fit.losses}`);
  // The learnt distance weighs the two identity coordinates above the noise ones.
  const weight = (j: number) => {
    let s = 0;
    for (let r = 0; r < 4; r++) s += fit.w[r * dim + j] ** 2;
    return s;
  };
  const noise = Math.max(...Array.from({ length: dim - 2 }, (_, j) => weight(j + 2)));
  assert.ok(
    Math.min(weight(0), weight(1)) > noise,
    `identity ${weight(0)}, ${weight(1)}; noise ${noise}`,
  );
  // New people: same-person pairs score above different-person pairs, by the A, G, bias form.
  const score = (i: number, j: number) => {
    const x = normalised(test.rows.subarray(i * dim, (i + 1) * dim));
    const y = normalised(test.rows.subarray(j * dim, (j + 1) * dim));
    let r = 0;
    for (let p = 0; p < dim; p++) {
      for (let q = 0; q < dim; q++) {
        r += x[p] * fit.a[p * dim + q] * x[q] + y[p] * fit.a[p * dim + q] * y[q] -
          2 * x[p] * fit.g[p * dim + q] * y[q];
      }
    }
    return r / 2 + fit.bias;
  };
  let correct = 0, total = 0;
  for (let p = 0; p < 40; p++) {
    const same = score(2 * p, 2 * p + 1), other = score(2 * p, (2 * p + 3) % 80);
    correct += same > other ? 1 : 0;
    total++;
  }
  assert.ok(correct / total > 0.85, `${correct} of ${total} same-person pairs ranked first`);
});

Deno.test("pair metric refuses a rank above the embedding and too few people", () => {
  const rows = Float32Array.from({ length: 20 }, (_, i) => i % 7);
  const ids = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4];
  assert.throws(() => fitPairMetric(rows, 2, ids, { rank: 3, steps: 1, seed: 1 }), UserError);
  assert.throws(
    () => fitPairMetric(rows, 2, ids, { rank: 1, steps: 1, seed: 1, batch: 7 }),
    /batch 7 is not an even number/,
  );
  assert.throws(
    () => fitPairMetric(rows, 2, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8], { rank: 1, steps: 1, seed: 1 }),
    /fewer than two training people/,
  );
});
