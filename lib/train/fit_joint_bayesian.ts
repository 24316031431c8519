/**
 * Fitting Joint Bayesian verification (`lib/model/joint_bayesian.ts`) on the training people's
 * embeddings, scaled to unit length. The identity covariance `S_mu` is the covariance of the
 * people's mean embeddings and the variation covariance `S_eps` that of each image around its
 * person's mean (people with at least two images): the closed-form estimate with which Chen et
 * al.'s EM starts; `em` iterations of that EM (`lib/fit/two_covariance_em.ts`, every training
 * person counted) refine it. The pair covariance under "same person" is
 * `[[S, S_mu], [S_mu, S]]` with `S = S_mu + S_eps`; its inverse has the blocks
 * `((2 S_mu + S_eps)^-1 +- S_eps^-1) / 2`, which give
 * `G = ((2 S_mu + S_eps)^-1 - S_eps^-1) / 2`, `A = S^-1 - ((2 S_mu + S_eps)^-1 + S_eps^-1) / 2`
 * and the log-determinant term of the bias, all from symmetric eigen-decompositions. The logit
 * is then rescaled by logistic regression on pairs of training people (see `calibrated`).
 *
 * @example
 * ```ts
 * import { fitJointBayesian } from "./fit_joint_bayesian.ts";
 * const fit = fitJointBayesian(embeddings, 100, people); // { a, g, bias }, a and g 100 x 100
 * const refined = fitJointBayesian(embeddings, 100, people, { em: 10 });
 * ```
 * @module
 */
import {
  covarianceOfMeans,
  normalised,
  rowsByPerson,
  withinPersonCovariance,
} from "../linalg/person_covariance.ts";
import { twoCovarianceEm } from "../fit/two_covariance_em.ts";
import { multiply } from "../linalg/dense.ts";
import { inverseAndLogDet } from "../linalg/symmetric_eigen.ts";
import { UserError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

/** Added to both covariances' diagonals, relative to their mean variance, before inverting. */
const RIDGE = 1e-4;

/** A fitted Joint Bayesian scorer: A and G (d x d, row-major) and the bias. */
export interface JointBayesianFit {
  a: Float32Array;
  g: Float32Array;
  bias: number;
}

/** The EM's course, when {@linkcode fitJointBayesian} ran it. */
export interface EmTrace {
  /** The training rows' log-likelihood under the model before each iteration and after the last. */
  logLikelihoods?: number[];
}

/** How {@linkcode fitJointBayesian} estimates the two covariances. */
export interface JointBayesianOptions {
  /** EM iterations after the closed-form estimate (0, the default: the closed form alone). */
  em?: number;
}

/**
 * Fits the scorer on `embeddings` (N x `dim`, row-major; scaled to unit length here) of the
 * people `people` (one id per row); with `em`, its course too.
 */
export function fitJointBayesian(
  embeddings: Float32Array,
  dim: number,
  people: ArrayLike<number>,
  options: JointBayesianOptions = {},
): JointBayesianFit & EmTrace {
  const n = people.length;
  const rows = Array.from(
    { length: n },
    (_, i) => normalised(embeddings.subarray(i * dim, (i + 1) * dim)),
  );
  const everyone = rowsByPerson(people);
  const groups = everyone.filter((m) => m.length >= 2);
  if (groups.length < 2) {
    throw new UserError(
      "joint bayesian: fewer than two training people have two images to learn from",
    );
  }
  const { covariance: within, means } = withinPersonCovariance((i) => rows[i], dim, groups);
  const closedForm = { identity: covarianceOfMeans(means, dim, 1), within };
  const refined = options.em
    ? twoCovarianceEm(stacked(rows, dim), dim, everyone, closedForm, options.em)
    : undefined;
  const { identity, within: variation } = refined ?? closedForm;
  let trace = 0;
  for (let r = 0; r < dim; r++) trace += variation[r * dim + r] + identity[r * dim + r];
  for (let r = 0; r < dim; r++) {
    variation[r * dim + r] += RIDGE * trace / dim;
    identity[r * dim + r] += RIDGE * trace / dim;
  }
  const fit = calibrated(
    jointBayesianFromCovariances(identity, variation, dim),
    rows,
    groups,
    people,
    dim,
  );
  return refined ? { ...fit, logLikelihoods: refined.logLikelihoods } : fit;
}

/** `rows` (each `dim` values) as one row-major matrix. */
function stacked(rows: Float64Array[], dim: number): Float64Array {
  const out = new Float64Array(rows.length * dim);
  rows.forEach((row, i) => out.set(row, i * dim));
  return out;
}

/** Pairs drawn for the calibration: this many same-person pairs and as many others at most. */
const CALIBRATION_PAIRS = 4000;

/**
 * The scorer with its logit rescaled by logistic regression on the training people's pairs
 * (Platt scaling: `alpha * logit + beta`). Where the Gaussian model does not hold, its
 * log-likelihood ratio is over-confident (on the synthetic test faces its logits pass -100, whose
 * probabilities are 0 in float32, so pairs would tie); the rescaling keeps the order of every
 * pair and brings the probabilities into range.
 */
function calibrated(
  fit: JointBayesianFit,
  rows: Float64Array[],
  groups: number[][],
  people: ArrayLike<number>,
  dim: number,
): JointBayesianFit {
  const same: [number, number][] = [];
  for (const group of groups) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) same.push([group[i], group[j]]);
    }
  }
  const rng = new Rng(CALIBRATION_SEED);
  rng.shuffle(same);
  same.length = Math.min(same.length, CALIBRATION_PAIRS);
  const different: [number, number][] = [];
  while (different.length < same.length) {
    const a = rng.nextInt(rows.length), b = rng.nextInt(rows.length);
    if (people[a] !== people[b]) different.push([a, b]);
  }
  const logit = pairLogits(fit, rows, dim);
  const z = [...same.map(logit), ...different.map(logit)];
  const y = [...same.map(() => 1), ...different.map(() => 0)];
  const { alpha, beta } = plattScaling(z, y);
  return {
    a: fit.a.map((v) => v * alpha),
    g: fit.g.map((v) => v * alpha),
    bias: alpha * fit.bias + beta,
  };
}

/**
 * The scorer's logit of a pair of `rows` by index, `(x^T A x + y^T A y - 2 x^T G y) / 2 + bias`,
 * from the products of every row with A and G, computed once (A and G are symmetric).
 */
function pairLogits(
  fit: JointBayesianFit,
  rows: Float64Array[],
  dim: number,
): (pair: [number, number]) => number {
  const matrix = stacked(rows, dim);
  const rowsA = multiply(matrix, Float64Array.from(fit.a), rows.length, dim, dim);
  const rowsG = multiply(matrix, Float64Array.from(fit.g), rows.length, dim, dim);
  const dot = (u: Float64Array, i: number, v: Float64Array, j: number) => {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += u[i * dim + k] * v[j * dim + k];
    return sum;
  };
  return ([i, j]) =>
    (dot(matrix, i, rowsA, i) + dot(matrix, j, rowsA, j) - 2 * dot(rowsG, i, matrix, j)) / 2 +
    fit.bias;
}

/** Seed of the calibration's pair sample. */
const CALIBRATION_SEED = 7;

/**
 * `alpha`, `beta` of the logistic regression `P(y = 1) = sigmoid(alpha z + beta)` (Newton's
 * method, a small ridge on alpha so that separable scores still give a finite answer).
 */
export function plattScaling(z: number[], y: number[]): { alpha: number; beta: number } {
  // Standardised scores, so that the steps are well scaled whatever the logits' range.
  const mean = z.reduce((s, v) => s + v, 0) / z.length;
  const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length) || 1;
  const x = z.map((v) => (v - mean) / sd);
  let a = 1, b = 0;
  const ridge = 1e-3 * z.length;
  for (let step = 0; step < 50; step++) {
    let ga = ridge * a, gb = 0, haa = ridge, hab = 0, hbb = 0;
    for (let k = 0; k < x.length; k++) {
      const p = 1 / (1 + Math.exp(-(a * x[k] + b)));
      const w = p * (1 - p);
      ga += (p - y[k]) * x[k];
      gb += p - y[k];
      haa += w * x[k] * x[k];
      hab += w * x[k];
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { alpha: a / sd, beta: b - a * mean / sd };
}

/**
 * A, G and the bias from the identity covariance `identity` (S_mu) and the variation
 * covariance `within` (S_eps), both d x d, symmetric positive definite.
 */
export function jointBayesianFromCovariances(
  identity: Float64Array,
  within: Float64Array,
  dim: number,
): JointBayesianFit {
  const total = within.map((v, k) => v + identity[k]); // S = S_mu + S_eps
  const pairSum = within.map((v, k) => v + 2 * identity[k]); // 2 S_mu + S_eps
  const s = inverseAndLogDet(total, dim);
  const p = inverseAndLogDet(pairSum, dim);
  const e = inverseAndLogDet(within, dim);
  const a = new Float32Array(dim * dim), g = new Float32Array(dim * dim);
  for (let k = 0; k < dim * dim; k++) {
    g[k] = (p.inverse[k] - e.inverse[k]) / 2;
    a[k] = s.inverse[k] - (p.inverse[k] + e.inverse[k]) / 2;
  }
  // log N(x, y | same) - log N(x, y | different) = r / 2 + (2 log|S| - log|2 S_mu + S_eps| -
  // log|S_eps|) / 2, the ratio's constant: the logit is then a calibrated log-odds under the
  // model (for equally likely hypotheses).
  return { a, g, bias: (2 * s.logDet - p.logDet - e.logDet) / 2 };
}
