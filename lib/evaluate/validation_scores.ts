/**
 * The one validation scoring: how every stage scores the validation pairs (a network's epochs, a
 * fit's one epoch, an ensemble's weights, `test`, `compare`'s calibration) and the figures drawn
 * from the scores. Pairs are scored as `test` scores them by default ({@linkcode TEST_SCORING}:
 * each face's embedding averaged with its mirror image's), so that the validation figures of
 * training, of the report's fit table and of `test` are one and the same.
 *
 * @example
 * ```ts
 * const scores = await scorePairs(weights, { faces, size, pairs: data.val, seed });
 * const { accuracy, auc, threshold } = validationFigures(scores.probabilities, data.val.same);
 * ```
 * @module
 */
import { EVAL_BATCH_PAIRS, TEST_DEFAULTS } from "../config/defaults.ts";
import type { ModelParams } from "../model/model_params.ts";
import type { PairColumns } from "../train/pair_batches.ts";
import type { ProgressSink } from "../util/progress.ts";
import { bestThreshold, classificationMetrics } from "./classification_metrics.ts";
import { type PairPredictions, predictPairsAsync } from "./predict_pairs.ts";
import { rocAuc, rocCurve } from "./roc_curve.ts";

/** How pairs are scored: `test`'s defaults unless its options say otherwise. */
export interface Scoring {
  /** Mirror averaging (`test --no-flip` turns it off). */
  flip: boolean;
  /** Rounds of test-time augmentation. */
  tta: number;
}

/** `test`'s default scoring, which every validation figure uses. */
export const TEST_SCORING: Readonly<Scoring> = Object.freeze({
  flip: TEST_DEFAULTS.flip,
  tta: TEST_DEFAULTS.tta,
});

/** Scores `pairs` of prepared `faces` (size x size bytes each) with `weights`. */
export function scorePairs(
  weights: ModelParams,
  input: { faces: Uint8Array; size: number; pairs: PairColumns; seed: number },
  scoring: Readonly<Scoring> = TEST_SCORING,
  progress?: ProgressSink,
): Promise<PairPredictions> {
  return predictPairsAsync(weights, {
    faces: input.faces,
    size: input.size,
    pairs: input.pairs,
    batchSize: EVAL_BATCH_PAIRS,
    seed: input.seed,
    augment: null,
  }, { flip: scoring.flip, tta: scoring.tta, progress });
}

/** The validation figures of `probabilities` for pairs labelled `same` (1: same person). */
export function validationFigures(
  probabilities: Float32Array,
  same: ArrayLike<number>,
): { threshold: number; accuracy: number; auc: number } {
  const labels = Array.from(same);
  const threshold = bestThreshold(probabilities, labels);
  return {
    threshold,
    accuracy: classificationMetrics(probabilities, labels, { threshold }).accuracy,
    auc: rocAuc(rocCurve(probabilities, same)),
  };
}
