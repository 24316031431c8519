/**
 * Orthonormalising a block of vectors by a Cholesky QR of their small Gram matrix: the step of
 * subspace iteration (the PCA of `lib/fit/pca.ts`), where the vectors are tall tensors on the
 * backend and only their Gram matrix comes back to JavaScript.
 *
 * @example
 * ```ts
 * import { orthonormalizer } from "./cholesky_qr.ts";
 * const m = orthonormalizer(Float64Array.of(4, 0, 0, 9), 2); // diag(1/2, 1/3)
 * ```
 * @module
 */

/**
 * The matrix `m` (n x n) that makes `z m` orthonormal, from `gram` = z^T z (Cholesky QR: the
 * columns are first scaled to unit length, so that the Gram matrix is well conditioned even when
 * their lengths differ by orders of magnitude, then m = diag(1 / length) (L^T)^-1). A column
 * that depends on the earlier ones comes out as zeros.
 */
export function orthonormalizer(gram: Float64Array, n: number): Float32Array {
  const length = Float64Array.from(
    { length: n },
    (_, i) => Math.sqrt(Math.max(gram[i * n + i], 1e-30)),
  );
  const l = new Float64Array(n * n);
  const dropped = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) {
      let sum = gram[i * n + j] / (length[i] * length[j]);
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        // A column that depends on the others (pivot about 0) is dropped, not blown up.
        dropped[j] = sum <= 1e-10 ? 1 : 0;
        l[i * n + j] = dropped[j] ? 1 : Math.sqrt(sum);
      } else {
        l[i * n + j] = dropped[j] ? 0 : sum / l[j * n + j];
      }
    }
  }
  // inverse[i][j] = (L^-1)[i][j], lower triangular.
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    inverse[i * n + i] = 1 / l[i * n + i];
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum += l[i * n + k] * inverse[k * n + j];
      inverse[i * n + j] = -sum / l[i * n + i];
    }
  }
  const out = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[r * n + c] = dropped[c] ? 0 : inverse[c * n + r] / length[r];
    }
  }
  return out;
}
