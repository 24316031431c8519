/**
 * Dense products of small row-major `Float64Array` matrices, in float64 (the eigenproblems of
 * the fitted models, hundreds of rows; large products go to the tfjs backend instead).
 *
 * @example
 * ```ts
 * import { multiply } from "./dense.ts";
 * const c = multiply(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6), 2, 2, 1); // [17, 39]
 * ```
 * @module
 */

/** `a` (n x k) times `b` (k x m), row-major. */
export function multiply(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += aip * b[p * m + j];
    }
  }
  return out;
}
