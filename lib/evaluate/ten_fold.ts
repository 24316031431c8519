/**
 * The LFW View 2 summary: mean accuracy over the ten folds and the standard error of the mean,
 * S_E = sigma / sqrt(10) with sigma the sample standard deviation, as the LFW results page
 * reports it.
 * @module
 */

/** Mean and standard error of per-fold accuracies. */
export interface FoldSummary {
  folds: number;
  mean: number;
  standardError: number;
}

/** Summarises per-fold accuracies (at least two folds). */
export function summariseFolds(accuracies: readonly number[]): FoldSummary {
  const n = accuracies.length;
  if (n < 2) throw new RangeError("summariseFolds needs at least two folds");
  const mean = accuracies.reduce((s, a) => s + a, 0) / n;
  const variance = accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1);
  return { folds: n, mean, standardError: Math.sqrt(variance) / Math.sqrt(n) };
}
