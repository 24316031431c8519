/**
 * Maximum-likelihood covariances of the two-covariance model behind Joint Bayesian (Chen et al.
 * 2012, "Bayesian face revisited"; Sizov et al. 2014 for the exact EM): a row is its person's
 * identity plus its own variation, `x = mu + eps`, `mu ~ N(m, S_mu)`, `eps ~ N(0, S_eps)`, with
 * `m` the rows' mean (as the closed form and the scorer take it), not fitted.
 * The closed-form start (the covariance of people's means and within people) takes each person's
 * mean for their identity, which holds their variation too (`S_eps / n` for n images: most LFW
 * people have two or three), and leaves out every person with one image. EM weighs each person's
 * evidence by their number of images and counts every training person.
 *
 * Each iteration diagonalises the two covariances together (`T^T S_eps T = I`,
 * `T^T S_mu T = diag(l)`), where a person's posterior identity is diagonal: for n images with sum
 * `s` (transformed), mean `l s / (1 + n l)` and variance `l / (1 + n l)`; the M-step averages the
 * posterior second moments. Matrices are row-major `Float64Array`s.
 *
 * @example
 * ```ts
 * import { twoCovarianceEm } from "./two_covariance_em.ts";
 * const { identity, within, logLikelihoods } = twoCovarianceEm(rows, dim, groups, start, 10);
 * ```
 * @module
 */
import { multiply, transposed } from "../linalg/dense.ts";
import { scaledGram } from "../linalg/person_covariance.ts";
import { symmetricEigen, symmetrized } from "../linalg/symmetric_eigen.ts";
import { UserError } from "../util/errors.ts";

/** The model's two covariances (d x d). */
export interface TwoCovariances {
  /** S_mu: how people's identities spread. */
  identity: Float64Array;
  /** S_eps: how one person's images spread around their identity. */
  within: Float64Array;
}

/**
 * Eigenvalues of S_eps below this share of the largest are raised to it, so that a rank-poor
 * start (fewer rows within people than dimensions) stays invertible.
 */
const WITHIN_EIGENVALUE_FLOOR = 1e-9;

/** The two covariances diagonalised together, for one EM iteration. */
interface JointBasis {
  /** `t` (d x d): `t^T S_eps t = I`, `t^T S_mu t = diag(values)`. */
  t: Float64Array;
  /** `t^-T`: a covariance C of transformed rows is `back C back^T` in the rows' own coordinates. */
  back: Float64Array;
  /** S_mu's variances in the transformed coordinates (at least 0). */
  values: Float64Array;
  /** log |S_eps| (after the floor). */
  logDetWithin: number;
}

/**
 * `iterations` EM steps from `start` on `rows` (n x `dim`, row-major, float64) grouped by person
 * (`groups`: each person's row indices, one image or more). Returns the covariances and the
 * rows' log-likelihood under the model before each step and after the last: it never falls,
 * unless S_eps's eigenvalue floor is at work (then it is the floored model's).
 */
export function twoCovarianceEm(
  rows: Float64Array,
  dim: number,
  groups: readonly number[][],
  start: TwoCovariances,
  iterations: number,
): TwoCovariances & { logLikelihoods: number[] } {
  const centred = centredRows(rows, dim);
  let current = start;
  const logLikelihoods: number[] = [];
  for (let it = 0; it <= iterations; it++) {
    const basis = jointDiagonalisation(current, dim);
    const y = multiply(centred, basis.t, centred.length / dim, dim, dim);
    const sums = personSums(y, dim, groups);
    logLikelihoods.push(logLikelihood(y, sums, groups, basis, dim));
    if (it === iterations) break;
    current = maximisationStep(y, sums, groups, basis, dim);
  }
  return { ...current, logLikelihoods };
}

/** The rows less their mean (the model's `m`). */
function centredRows(rows: Float64Array, dim: number): Float64Array {
  const n = rows.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += rows[i * dim + k] / n;
  return rows.map((v, j) => v - mean[j % dim]);
}

/** The basis that diagonalises S_eps (to I) and S_mu together (`c`, d x d each). */
function jointDiagonalisation(c: TwoCovariances, dim: number): JointBasis {
  const w = symmetricEigen(symmetrized(c.within, dim), dim);
  const top = Math.max(...w.values);
  if (!(top > 0)) {
    throw new UserError(
      "joint bayesian: the training embeddings do not vary within people, so EM has nothing to fit",
    );
  }
  const d = w.values.map((v) => Math.max(v, WITHIN_EIGENVALUE_FLOOR * top));
  // U diag(f(d)): each eigenvector (a column of U) scaled.
  const scaledColumns = (f: (v: number) => number) => w.vectors.map((v, k) => v * f(d[k % dim]));
  const whiten = scaledColumns((v) => 1 / Math.sqrt(v)); // U D^-1/2
  const whitenedIdentity = multiply(
    multiply(transposed(whiten, dim, dim), c.identity, dim, dim, dim),
    whiten,
    dim,
    dim,
    dim,
  );
  const b = symmetricEigen(symmetrized(whitenedIdentity, dim), dim);
  return {
    t: multiply(whiten, b.vectors, dim, dim, dim),
    back: multiply(scaledColumns(Math.sqrt), b.vectors, dim, dim, dim), // U D^1/2 V
    values: b.values.map((v) => Math.max(v, 0)),
    logDetWithin: d.reduce((s, v) => s + Math.log(v), 0),
  };
}

/** Each person's sum of transformed rows (people x d). */
function personSums(y: Float64Array, dim: number, groups: readonly number[][]): Float64Array {
  const sums = new Float64Array(groups.length * dim);
  groups.forEach((group, p) => {
    for (const i of group) for (let k = 0; k < dim; k++) sums[p * dim + k] += y[i * dim + k];
  });
  return sums;
}

/** The rows' log-likelihood: per person and dimension, n images of covariance `I + l 1 1^T`. */
function logLikelihood(
  y: Float64Array,
  sums: Float64Array,
  groups: readonly number[][],
  basis: JointBasis,
  dim: number,
): number {
  let total = 0, rows = 0;
  for (let k = 0; k < y.length; k++) total -= y[k] * y[k] / 2;
  groups.forEach((group, p) => {
    const n = group.length;
    rows += n;
    for (let k = 0; k < dim; k++) {
      const l = basis.values[k], s = sums[p * dim + k];
      total -= Math.log1p(n * l) / 2 - l * s * s / (1 + n * l) / 2;
    }
  });
  return total - rows * (dim * Math.log(2 * Math.PI) + basis.logDetWithin) / 2;
}

/** The covariances that maximise the expected log-likelihood under the current posterior. */
function maximisationStep(
  y: Float64Array,
  sums: Float64Array,
  groups: readonly number[][],
  basis: JointBasis,
  dim: number,
): TwoCovariances {
  const people = groups.length, n = y.length / dim;
  const identities = new Float64Array(people * dim);
  const residuals = new Float64Array(y.length);
  const identityVariance = new Float64Array(dim), withinVariance = new Float64Array(dim);
  groups.forEach((group, p) => {
    for (let k = 0; k < dim; k++) {
      const l = basis.values[k], shrink = l / (1 + group.length * l);
      const mu = shrink * sums[p * dim + k];
      identities[p * dim + k] = mu;
      identityVariance[k] += shrink;
      withinVariance[k] += group.length * shrink;
      for (const i of group) residuals[i * dim + k] = y[i * dim + k] - mu;
    }
  });
  const identity = scaledGram(identities, people, dim, people);
  const within = scaledGram(residuals, n, dim, n);
  for (let k = 0; k < dim; k++) {
    identity[k * dim + k] += identityVariance[k] / people;
    within[k * dim + k] += withinVariance[k] / n;
  }
  const back = (c: Float64Array) =>
    symmetrized(
      multiply(
        multiply(basis.back, c, dim, dim, dim),
        transposed(basis.back, dim, dim),
        dim,
        dim,
        dim,
      ),
      dim,
    );
  return { identity: back(identity), within: back(within) };
}
