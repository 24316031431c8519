/**
 * Row blocks computed piece by piece (batches, workers' shares) joined into one array.
 *
 * @example
 * ```ts
 * concatRows([Float32Array.of(1, 2), Float32Array.of(3)]); // Float32Array [1, 2, 3]
 * ```
 * @module
 */

/** `parts` one after another in one new array. */
export function concatRows(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, at), at += part.length;
  return out;
}
