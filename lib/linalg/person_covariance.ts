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

/** `row` scaled to unit length (a zero row stays zero), in float64. */
export function normalised(row: ArrayLike<number>): Float64Array {
  let norm = 0;
  for (let k = 0; k < row.length; k++) norm += row[k] * row[k];
  const scale = 1 / (Math.sqrt(norm) || 1);
  return Float64Array.from(row, (x) => x * scale);
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
  const covariance = new Float64Array(dim * dim);
  const means: Float64Array[] = [];
  const diff = new Float64Array(dim);
  let rows = 0;
  for (const group of groups) {
    if (group.length < 2) continue;
    const centre = new Float64Array(dim);
    for (const i of group) {
      const x = row(i);
      for (let k = 0; k < dim; k++) centre[k] += x[k] / group.length;
    }
    means.push(centre);
    for (const i of group) {
      const x = row(i);
      for (let k = 0; k < dim; k++) diff[k] = x[k] - centre[k];
      for (let r = 0; r < dim; r++) {
        const dr = diff[r];
        if (dr === 0) continue;
        for (let c = r; c < dim; c++) covariance[r * dim + c] += dr * diff[c];
      }
      rows++;
    }
  }
  for (let r = 0; r < dim; r++) {
    for (let c = r; c < dim; c++) {
      covariance[c * dim + r] = covariance[r * dim + c] /= Math.max(rows, 1);
    }
  }
  return { covariance, means, rows };
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
  const covariance = new Float64Array(dim * dim);
  const diff = new Float64Array(dim);
  for (const m of means) {
    for (let k = 0; k < dim; k++) diff[k] = m[k] - grand[k];
    for (let r = 0; r < dim; r++) {
      for (let c = r; c < dim; c++) covariance[r * dim + c] += diff[r] * diff[c];
    }
  }
  for (let r = 0; r < dim; r++) {
    for (let c = r; c < dim; c++) {
      covariance[c * dim + r] = covariance[r * dim + c] /= means.length - ddof;
    }
  }
  return covariance;
}
