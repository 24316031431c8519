/**
 * Linear discriminant analysis over training people, a step of the fitted descriptor pipelines
 * (after a whitened PCA): within-person variation is whitened and the spread of the people's
 * means maximised (Belhumeur et al. 1997, "Fisherfaces"). Only people with at least two rows
 * count; their means weigh equally (uniform priors).
 *
 * @example
 * ```ts
 * import { fitLda, ldaTransform } from "./lda.ts";
 * const lda = fitLda(reduced, 400, people, { embedding: 100 });
 * const embedded = ldaTransform(lda, reduced); // n x 100
 * ```
 * @module
 */
import { multiply } from "../linalg/dense.ts";
import {
  covarianceOfMeans,
  rowsByPerson,
  withinPersonCovariance,
} from "../linalg/person_covariance.ts";
import { matrixFunction, sortedEigen } from "../linalg/symmetric_eigen.ts";
import { UserError } from "../util/errors.ts";

/** Added to the within-person covariance's eigenvalues (in whitened units) before inverting. */
export const WITHIN_RIDGE = 1e-3;

/** A fitted LDA: `x directions` gives a row's discriminant values. */
export interface LdaState {
  inputs: number;
  embedding: number;
  /** inputs x embedding, row-major. */
  directions: Float32Array;
  /** The leading eigenvalues of the whitened between-person scatter (separation per direction). */
  separations: number[];
  /** People (with two rows or more) it was fitted on. */
  people: number;
  ridge: number;
}

/**
 * Fits LDA to `rows` (n x `inputs`, row-major; centred and whitened by a PCA) of the people
 * `people` (one id per row), keeping `embedding` directions.
 */
export function fitLda(
  rows: Float32Array,
  inputs: number,
  people: ArrayLike<number>,
  options: { embedding: number; ridge?: number },
): LdaState {
  const d = inputs, k = options.embedding;
  const ridge = options.ridge ?? WITHIN_RIDGE;
  if (k > d) {
    throw new UserError(
      `lda: ${k} embedding dimensions need at least ${k} input values (got ${d})`,
    );
  }
  const groups = rowsByPerson(people).filter((m) => m.length >= 2);
  if (groups.length < 2) {
    throw new UserError("lda: fewer than two training people have two images to learn from");
  }
  const { covariance: within, means } = withinPersonCovariance(
    (i) => rows.subarray(i * d, (i + 1) * d),
    d,
    groups,
  );
  const between = covarianceOfMeans(means, d, 0);
  // S_w^(-1/2), then the leading eigenvectors of S_w^(-1/2) S_b S_w^(-1/2).
  const inverseRoot = matrixFunction(within, d, (v) => 1 / Math.sqrt(v + ridge));
  const scatter = multiply(inverseRoot, multiply(between, inverseRoot, d, d, d), d, d, d);
  const lda = sortedEigen(scatter, d);
  const leading = new Float64Array(d * k);
  for (let c = 0; c < k; c++) {
    for (let r = 0; r < d; r++) leading[r * k + c] = lda.vectors[c][r];
  }
  return {
    inputs: d,
    embedding: k,
    directions: Float32Array.from(multiply(inverseRoot, leading, d, d, k)),
    separations: lda.values.slice(0, k),
    people: groups.length,
    ridge,
  };
}

/** The discriminant values of `rows` (n x inputs): n x embedding. */
export function ldaTransform(state: LdaState, rows: Float32Array): Float32Array {
  return Float32Array.from(
    multiply(rows, state.directions, rows.length / state.inputs, state.inputs, state.embedding),
  );
}
