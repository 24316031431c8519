/**
 * Dense products of row-major matrices, in float64 (the eigenproblems of the fitted models,
 * hundreds of rows; the large float32 products of PCA go to the tfjs backend instead): by
 * OpenBLAS where it is available ({@linkcode openBlas}), else in JavaScript.
 *
 * @example
 * ```ts
 * import { multiply } from "./dense.ts";
 * const c = multiply(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6), 2, 2, 1); // [17, 39]
 * ```
 * @module
 */
import { openBlas } from "./openblas.ts";

/** Below this many multiply-adds a product stays in JavaScript (the FFI call costs more). */
const BLAS_FROM = 4096;

/** `a` (n x k) times `b` (k x m), row-major. */
export function multiply(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
): Float64Array {
  const blas = n * k * m >= BLAS_FROM ? openBlas() : undefined;
  if (blas) return blas.multiply(asFloat64(a), asFloat64(b), n, k, m);
  return multiplyInJs(a, b, n, k, m);
}

function asFloat64(x: ArrayLike<number>): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

/** {@linkcode multiply} in JavaScript, wherever OpenBLAS is not used. */
export function multiplyInJs(
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

/** The transpose of a row-major rows x columns matrix. */
export function transposed(m: Float64Array, rows: number, columns: number): Float64Array {
  const t = new Float64Array(m.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) t[j * rows + i] = m[i * columns + j];
  }
  return t;
}
