/**
 * Eigen-decompositions of symmetric matrices (cyclic Jacobi, in float64) and the functions of
 * such matrices that the fitted models need: `V f(L) V^T` (inverse square roots for whitening,
 * inverses and log-determinants for Joint Bayesian). Matrices are row-major `Float64Array`s.
 *
 * @example
 * ```ts
 * import { matrixFunction, symmetricEigen } from "./symmetric_eigen.ts";
 * const m = Float64Array.of(2, 1, 1, 2);
 * const { values } = symmetricEigen(m, 2); // 1 and 3, in the solver's order
 * const inverseRoot = matrixFunction(m, 2, (v) => 1 / Math.sqrt(v));
 * ```
 * @module
 */

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi): values and unit vectors. */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p] ** 2;
      for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    }
    if (off <= 1e-24 * diag) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v }; // column j of v is the vector of values[j]
}

/**
 * `matrix` made exactly symmetric, (M + M^T) / 2: products computed in float32 are symmetric only
 * up to rounding, and the solver needs symmetry.
 */
export function symmetrized(matrix: ArrayLike<number>, n: number): Float64Array {
  return Float64Array.from(
    { length: n * n },
    (_, k) => (matrix[k] + matrix[(k % n) * n + Math.floor(k / n)]) / 2,
  );
}

/** Eigenpairs of a symmetric matrix sorted by decreasing value (vectors as columns). */
export function sortedEigen(
  matrix: Float64Array,
  n: number,
): { values: number[]; vectors: number[][] } {
  const { values, vectors } = symmetricEigen(symmetrized(matrix, n), n);
  const order = Array.from(values.keys()).sort((i, j) => values[j] - values[i]);
  return {
    values: order.map((i) => values[i]),
    vectors: order.map((i) => Array.from({ length: n }, (_, r) => vectors[r * n + i])),
  };
}

/**
 * `V diag(f(values)) V^T` from an eigen-decomposition (vectors as the columns of `vectors`,
 * row-major n x n, as {@linkcode symmetricEigen} gives them).
 */
export function fromEigen(
  eigen: { values: ArrayLike<number>; vectors: Float64Array },
  n: number,
  f: (value: number) => number,
): Float64Array {
  const { values, vectors } = eigen;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const fk = f(values[k]);
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * fk;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k];
    }
  }
  return out;
}

/**
 * `f` of a symmetric matrix: `V diag(f(values)) V^T` where `matrix = V diag(values) V^T`
 * (symmetrized first). `f(v) = 1 / sqrt(v)` whitens, `1 / v` inverts.
 */
export function matrixFunction(
  matrix: ArrayLike<number>,
  n: number,
  f: (value: number) => number,
): Float64Array {
  return fromEigen(symmetricEigen(symmetrized(matrix, n), n), n, f);
}

/**
 * Inverse and log-determinant of a symmetric positive definite matrix (n x n); eigenvalues below
 * `floor` (default 1e-12) are raised to it, so that a singular matrix stays finite.
 */
export function inverseAndLogDet(
  matrix: ArrayLike<number>,
  n: number,
  floor = 1e-12,
): { inverse: Float64Array; logDet: number } {
  const eigen = symmetricEigen(symmetrized(matrix, n), n);
  let logDet = 0;
  for (const v of eigen.values) logDet += Math.log(Math.max(v, floor));
  return { inverse: fromEigen(eigen, n, (v) => 1 / Math.max(v, floor)), logDet };
}
