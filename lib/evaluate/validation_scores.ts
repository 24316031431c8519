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

/**
 * Validation scores a fitted model keeps in its checkpoint (`meta.validation`): `test`, the
 * ten-fold evaluation and an ensemble's fit take them instead of scoring the same pairs again
 * with the same weights and scoring ({@linkcode reusableValidation}).
 */
export interface StoredValidation {
  flip: boolean;
  tta: number;
  /** The pairs scored ({@linkcode pairsFingerprint}). */
  pairs: string;
  probabilities: number[];
}

/** A fingerprint of pairs (both images and the label of each, in order). */
export function pairsFingerprint(pairs: PairColumns): string {
  // FNV-1a over the pairs' numbers: enough to tell two splits' validation pairs apart.
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h = Math.imul(h ^ (v & 0xffff), 0x01000193);
    h = Math.imul(h ^ (v >>> 16), 0x01000193);
  };
  for (let i = 0; i < pairs.a.length; i++) mix(pairs.a[i]), mix(pairs.b[i]), mix(pairs.same[i]);
  return `${pairs.a.length}:${(h >>> 0).toString(16)}`;
}

/** What a fit stores of its validation scores of `pairs`, scored with `scoring`. */
export function storedValidation(
  pairs: PairColumns,
  probabilities: Float32Array,
  scoring: Readonly<Scoring> = TEST_SCORING,
): StoredValidation {
  return {
    flip: scoring.flip,
    tta: scoring.tta,
    pairs: pairsFingerprint(pairs),
    probabilities: Array.from(probabilities),
  };
}

/**
 * The stored validation scores in a checkpoint's `meta` when they are the scores of `pairs` with
 * `scoring` (else undefined: scored with other options or pairs, or never stored).
 */
export function reusableValidation(
  meta: Readonly<Record<string, unknown>>,
  pairs: PairColumns,
  scoring: Readonly<Scoring>,
): Float32Array | undefined {
  const stored = meta.validation as Partial<StoredValidation> | undefined;
  if (
    !stored || stored.flip !== scoring.flip || stored.tta !== scoring.tta ||
    scoring.tta !== 0 || stored.pairs !== pairsFingerprint(pairs) ||
    !Array.isArray(stored.probabilities) || stored.probabilities.length !== pairs.a.length
  ) return undefined;
  return Float32Array.from(stored.probabilities);
}
