/**
 * A joint metric and similarity learnt on pairs of training people (Simonyan et al. 2013,
 * "Fisher Vector Faces in the Wild", section 3.2), a head of the fitted descriptor pipelines
 * beside Joint Bayesian: two low-rank maps W and V (rank x dim) and a bias b score a pair of
 * unit-length embeddings x, y as
 *
 *     s(x, y) = b - ||W (x - y)||^2 / 2 + (V x) . (V y)
 *
 * (a learnt distance, and an inner product that measures what the distance cannot), fitted by
 * stochastic gradient descent with momentum on the logistic loss of pairs drawn afresh at every
 * step: half of the same person, half of two people. The score is a quadratic form of the pair,
 * so it is returned as Joint Bayesian's `{ a, g, bias }` (A = -W^T W, G = -(W^T W + V^T V)) and
 * scored, exported and fused by the same code.
 *
 * @example
 * ```ts
 * import { fitPairMetric } from "./pair_metric.ts";
 * const metric = fitPairMetric(embeddings, 100, people, { rank: 64, steps: 2000, seed: 1 });
 * // metric.a, metric.g: 100 x 100; metric.bias
 * ```
 * @module
 */
import { multiply, transposed } from "../linalg/dense.ts";
import { normalised, rowsByPerson } from "../linalg/person_covariance.ts";
import type { JointBayesianFit } from "../train/fit_joint_bayesian.ts";
import { UserError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

/** How the metric is fitted. */
export interface PairMetricOptions {
  /** Rows of W and V (the metric's rank). */
  rank: number;
  /** Gradient steps. */
  steps: number;
  /** Seed of the pairs drawn and of nothing else (the start is fixed). */
  seed: number;
  /** Pairs per step, half of them of the same person: an even number (default 512). */
  batch?: number;
  /** Step size (default 0.5, then falling linearly to 0 by the last step) and momentum (0.9). */
  learningRate?: number;
  momentum?: number;
  /** Called after each step with the batch's mean loss, for progress. */
  onStep?: (step: number, loss: number) => void;
}

/** The fitted maps, kept with the scorer for inspection and tests. */
export interface PairMetricFit extends JointBayesianFit {
  /** rank x dim, row-major. */
  w: Float64Array;
  v: Float64Array;
  /** The mean loss of each tenth of the steps (the fit's curve). */
  losses: number[];
}

/**
 * Fits the metric on `embeddings` (n x `dim`, row-major; scaled to unit length here, as Joint
 * Bayesian's are) of the people `people` (one id per row).
 */
export function fitPairMetric(
  embeddings: Float32Array,
  dim: number,
  people: ArrayLike<number>,
  options: PairMetricOptions,
): PairMetricFit {
  const { rank, steps } = options;
  const batch = options.batch ?? 512, half = batch >> 1;
  const rate = options.learningRate ?? 0.5, momentum = options.momentum ?? 0.9;
  if (batch < 2 || batch % 2 !== 0) {
    throw new Error(`fitPairMetric: batch ${batch} is not an even number of pairs`);
  }
  if (rank < 1 || rank > dim) {
    throw new UserError(`metric: rank ${rank} must be from 1 to the embedding's ${dim} values`);
  }
  const n = people.length;
  const rows = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    rows.set(normalised(embeddings.subarray(i * dim, (i + 1) * dim)), i * dim);
  }
  const groups = rowsByPerson(people).filter((m) => m.length >= 2);
  if (groups.length < 2) {
    throw new UserError("metric: fewer than two training people have two images to learn from");
  }
  // The start: W = V = the leading `rank` coordinates (scaled), b = 0: a scaled cosine.
  const w = new Float64Array(rank * dim), v = new Float64Array(rank * dim);
  for (let r = 0; r < rank; r++) w[r * dim + r] = v[r * dim + r] = START_SCALE;
  let bias = 0;
  const velocity = { w: new Float64Array(w.length), v: new Float64Array(v.length), b: 0 };
  const rng = new Rng(options.seed);
  const x = new Float64Array(batch * dim), y = new Float64Array(batch * dim);
  const target = Float64Array.from({ length: batch }, (_, k) => (k < half ? 1 : -1));
  const losses: number[] = [];
  let tenth = 0, tenthCount = 0;
  for (let step = 0; step < steps; step++) {
    drawPairs(rows, dim, groups, people, rng, half, x, y);
    const { gw, gv, gb, loss } = gradients(w, v, bias, x, y, target, rank, dim);
    const lr = rate * (1 - step / steps);
    for (let k = 0; k < w.length; k++) {
      velocity.w[k] = momentum * velocity.w[k] - lr * gw[k];
      velocity.v[k] = momentum * velocity.v[k] - lr * gv[k];
      w[k] += velocity.w[k];
      v[k] += velocity.v[k];
    }
    velocity.b = momentum * velocity.b - lr * gb;
    bias += velocity.b;
    options.onStep?.(step, loss);
    tenth += loss;
    tenthCount++;
    if ((step + 1) % Math.max(1, Math.floor(steps / 10)) === 0 || step === steps - 1) {
      losses.push(tenth / tenthCount);
      tenth = tenthCount = 0;
    }
  }
  return { ...asQuadraticForm(w, v, bias, rank, dim), w, v, losses };
}

/** W and V start as this multiple of the leading coordinates (scores of a few units). */
const START_SCALE = 2;

/**
 * Fills `x`, `y` (batch x dim) with `half` pairs of one person's two rows, then as many of two
 * people's rows.
 */
function drawPairs(
  rows: Float64Array,
  dim: number,
  groups: number[][],
  people: ArrayLike<number>,
  rng: Rng,
  half: number,
  x: Float64Array,
  y: Float64Array,
): void {
  const n = people.length;
  const put = (k: number, i: number, j: number) => {
    x.set(rows.subarray(i * dim, (i + 1) * dim), k * dim);
    y.set(rows.subarray(j * dim, (j + 1) * dim), k * dim);
  };
  for (let k = 0; k < half; k++) {
    const group = groups[rng.nextInt(groups.length)];
    const i = rng.nextInt(group.length);
    const j = (i + 1 + rng.nextInt(group.length - 1)) % group.length;
    put(k, group[i], group[j]);
  }
  for (let k = half; k < 2 * half; k++) {
    let i = rng.nextInt(n), j = rng.nextInt(n);
    while (people[i] === people[j]) i = rng.nextInt(n), j = rng.nextInt(n);
    put(k, i, j);
  }
}

/**
 * The batch's mean logistic loss `log(1 + exp(-t s))` and its gradients with respect to W, V
 * and b (t: +1 for a pair of one person, -1 otherwise).
 */
export function gradients(
  w: Float64Array,
  v: Float64Array,
  bias: number,
  x: Float64Array,
  y: Float64Array,
  target: Float64Array,
  rank: number,
  dim: number,
): { gw: Float64Array; gv: Float64Array; gb: number; loss: number } {
  const batch = target.length;
  const d = x.map((value, k) => value - y[k]);
  const wt = transposed(w, rank, dim), vt = transposed(v, rank, dim);
  const wd = multiply(d, wt, batch, dim, rank); // batch x rank: W (x - y)
  const vx = multiply(x, vt, batch, dim, rank), vy = multiply(y, vt, batch, dim, rank);
  // ds/ds-weights per pair: c = dLoss/ds = -t sigmoid(-t s), divided by the batch.
  const c = new Float64Array(batch);
  let loss = 0, gb = 0;
  for (let k = 0; k < batch; k++) {
    let distance = 0, similarity = 0;
    for (let r = 0; r < rank; r++) {
      distance += wd[k * rank + r] ** 2;
      similarity += vx[k * rank + r] * vy[k * rank + r];
    }
    const margin = target[k] * (bias - distance / 2 + similarity);
    loss += margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin));
    c[k] = -target[k] / (1 + Math.exp(margin)) / batch;
    gb += c[k];
  }
  // dL/dW = sum c (-W d d^T) = -(c . W d)^T d; dL/dV = sum c (V y x^T + V x y^T).
  const scaledWd = wd.map((value, k) => -value * c[Math.floor(k / rank)]);
  const scaledVy = vy.map((value, k) => value * c[Math.floor(k / rank)]);
  const scaledVx = vx.map((value, k) => value * c[Math.floor(k / rank)]);
  const gw = multiply(transposed(scaledWd, batch, rank), d, rank, batch, dim);
  const gv = multiply(transposed(scaledVy, batch, rank), x, rank, batch, dim);
  const gvy = multiply(transposed(scaledVx, batch, rank), y, rank, batch, dim);
  for (let k = 0; k < gv.length; k++) gv[k] += gvy[k];
  return { gw, gv, gb, loss: loss / batch };
}

/** The score as Joint Bayesian's quadratic form: A = -W^T W, G = -(W^T W + V^T V). */
function asQuadraticForm(
  w: Float64Array,
  v: Float64Array,
  bias: number,
  rank: number,
  dim: number,
): JointBayesianFit {
  const wtw = multiply(transposed(w, rank, dim), w, dim, rank, dim);
  const vtv = multiply(transposed(v, rank, dim), v, dim, rank, dim);
  return {
    a: Float32Array.from(wtw, (value) => -value),
    g: Float32Array.from(wtw, (value, k) => -(value + vtv[k])),
    bias,
  };
}
