/**
 * Orthogonal weight initialisation (Saxe et al. 2014), as Keras defines it: a Gaussian matrix of
 * shape (prod(shape[:-1]), shape[-1]) is orthonormalised, so that its columns (or rows, when
 * there are fewer rows than columns) are orthonormal, then scaled by `gain`.
 *
 * tfjs's built-in initializer runs a generic QR in tensor ops and takes minutes on a 2048x512
 * matrix; modified Gram-Schmidt on contiguous Float64 columns does it in well under a second.
 * @module
 */
import type { Rng } from "../util/rng.ts";

/**
 * Returns a row-major `shape[0]` x `shape[1]` matrix with orthonormal columns (rows >= cols) or
 * orthonormal rows (rows < cols), times `gain`. Deterministic for a given generator state.
 */
export function orthogonalMatrix(
  shape: readonly [number, number],
  rng: Rng,
  options: { gain?: number } = {},
): Float32Array {
  const [rows, cols] = shape;
  const gain = options.gain ?? 1;
  // Orthonormalise the k vectors of length m along the longer side.
  const m = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const v = new Float64Array(k * m);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  for (let j = 0; j < k; j++) {
    const vj = v.subarray(j * m, (j + 1) * m);
    for (let i = 0; i < j; i++) {
      const vi = v.subarray(i * m, (i + 1) * m);
      let dot = 0;
      for (let t = 0; t < m; t++) dot += vi[t] * vj[t];
      for (let t = 0; t < m; t++) vj[t] -= dot * vi[t];
    }
    let norm = 0;
    for (let t = 0; t < m; t++) norm += vj[t] * vj[t];
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error("orthogonalMatrix: degenerate random draw");
    for (let t = 0; t < m; t++) vj[t] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < k; j++) {
    for (let t = 0; t < m; t++) {
      // Vector j is column j (rows >= cols) or row j (rows < cols).
      const index = rows >= cols ? t * cols + j : j * cols + t;
      out[index] = gain * v[j * m + t];
    }
  }
  return out;
}
