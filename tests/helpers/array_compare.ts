/**
 * Comparing computed arrays in tests.
 * @module
 */

/** The largest absolute difference, relative to the largest magnitude in `expected`. */
export function relativeError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / (scale || 1);
}
