/**
 * The statistics every fit over training people starts from (LDA, WCCN, Joint Bayesian): rows
 * grouped by person, the within-person covariance and the covariance of the people's means.
 * Matrices are row-major `Float64Array`s.
 *
 * @example
 * ```ts
 * import { covarianceOfMeans, rowsByPerson, withinPersonCovariance } from "./person_covariance.ts";
 * const groups = rowsByPerson(people);
 * const { covariance, means } = withinPersonCovariance((i) => rows[i], dim, groups);
 * const between = covarianceOfMeans(means, dim, 0);
 * ```
 * @module
 */
import { openBlas } from "./openblas.ts";

/** `row` scaled to unit length (a zero row stays zero), in float64. */
export function normalised(row: ArrayLike<number>): Float64Array {
  let norm = 0;
  for (let k = 0; k < row.length; k++) norm += row[k] * row[k];
  const scale = 1 / (Math.sqrt(norm) || 1);
  const out = new Float64Array(row.length);
  for (let k = 0; k < row.length; k++) out[k] = row[k] * scale;
  return out;
}

/**
 * The rows of each person (`people`: one id per row), in order of first appearance: the
 * grouping every fit over training people (LDA, WCCN, Joint Bayesian) starts from.
 */
export function rowsByPerson(people: ArrayLike<number>): number[][] {
  const byPerson = new Map<number, number[]>();
  for (let i = 0; i < people.length; i++) {
    const list = byPerson.get(people[i]);
    if (list) list.push(i);
    else byPerson.set(people[i], [i]);
  }
  return [...byPerson.values()];
}

/**
 * The within-person covariance of `dim`-value rows (`row(i)`: row i) grouped by person
 * (`groups`: each person's row indices; people with fewer than two rows are left out): the mean
 * outer product of each row's offset from its person's mean, over the rows counted. With the
 * people's means, the starting point of every fit over training people (LDA's within scatter,
 * WCCN, Joint Bayesian's variation covariance). Row-major, symmetric.
 */
export function withinPersonCovariance(
  row: (i: number) => ArrayLike<number>,
  dim: number,
  groups: readonly number[][],
): { covariance: Float64Array; means: Float64Array[]; rows: number } {
  const counted = groups.filter((group) => group.length >= 2);
  const means = counted.map((group) => {
    const centre = new Float64Array(dim);
    for (const i of group) {
      const x = row(i);
      for (let k = 0; k < dim; k++) centre[k] += x[k] / group.length;
    }
    return centre;
  });
  const rows = counted.reduce((sum, group) => sum + group.length, 0);
  // Each row's offset from its person's mean, one row of `offsets`.
  const offsets = new Float64Array(rows * dim);
  let at = 0;
  counted.forEach((group, p) => {
    for (const i of group) {
      const x = row(i);
      for (let k = 0; k < dim; k++) offsets[at++] = x[k] - means[p][k];
    }
  });
  return { covariance: scaledGram(offsets, rows, dim, rows), means, rows };
}

/**
 * `x^T x / divisor` of `x` (rows x dim, row-major): by OpenBLAS where it is available, else
 * in JavaScript (one triangle, mirrored). Row-major, symmetric.
 */
export function scaledGram(
  x: Float64Array,
  rows: number,
  dim: number,
  divisor: number,
): Float64Array {
  const blas = openBlas();
  const sum = blas ? blas.gram(x, rows, dim) : gramInJs(x, rows, dim);
  const scale = 1 / Math.max(divisor, 1);
  for (let k = 0; k < sum.length; k++) sum[k] *= scale;
  return sum;
}

/** `x^T x` (rows x dim, row-major) in JavaScript. */
export function gramInJs(x: Float64Array, rows: number, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < rows; i++) {
    const base = i * dim;
    for (let r = 0; r < dim; r++) {
      const xr = x[base + r];
      if (xr === 0) continue;
      for (let c = r; c < dim; c++) out[r * dim + c] += xr * x[base + c];
    }
  }
  for (let r = 0; r < dim; r++) {
    for (let c = r + 1; c < dim; c++) out[c * dim + r] = out[r * dim + c];
  }
  return out;
}

/**
 * The covariance of `means` (`dim` values each) around their own mean, divided by their number
 * less `ddof` (0: the population covariance, LDA's between scatter; 1: the sample covariance,
 * Joint Bayesian's identity covariance). Row-major, symmetric.
 */
export function covarianceOfMeans(
  means: readonly Float64Array[],
  dim: number,
  ddof: 0 | 1,
): Float64Array {
  const grand = new Float64Array(dim);
  for (const m of means) for (let k = 0; k < dim; k++) grand[k] += m[k] / means.length;
  const offsets = new Float64Array(means.length * dim);
  means.forEach((m, i) => {
    for (let k = 0; k < dim; k++) offsets[i * dim + k] = m[k] - grand[k];
  });
  return scaledGram(offsets, means.length, dim, means.length - ddof);
}
