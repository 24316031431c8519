/**
 * A same-person probability that means what it says: every model's score is recalibrated on its
 * validation pairs by Platt scaling, `p = sigmoid(alpha * logit(score) + beta)` (logistic
 * regression of the labels on the score's log-odds, with Platt's targets; `plattScaling`, the fit
 * the Joint Bayesian head rescales its log-likelihood ratio with). The identity models' scaled cosines in
 * particular are not probabilities: their sigmoid sits far from the rate of same-person pairs.
 * The mapping is increasing, so it keeps every pair's order, the AUC and the verdicts at the
 * correspondingly mapped threshold; after it, 0.5 is a sensible default threshold.
 *
 * The calibration is checked by the expected calibration error (ECE: the mean gap between
 * predicted probability and observed same-person rate over ten equal-width probability bins,
 * weighted by the bins' pairs), measured on the validation pairs by two-fold cross-fitting
 * (each half scored by the mapping fitted on the other half), so the figure is not the fit's own.
 * @module
 */
import { plattScaling } from "../train/fit_joint_bayesian.ts";

/** A fitted calibration and how well it holds on validation. */
export interface Calibration {
  /** `p = sigmoid(alpha * logit(score) + beta)`. */
  alpha: number;
  beta: number;
  /** Validation pairs it was fitted on. */
  pairs: number;
  /** Expected calibration error on validation of the raw scores. */
  eceBefore: number;
  /** ... of the calibrated probabilities, two-fold cross-fitted. */
  eceAfter: number;
}

/** Ten equal-width bins. */
const ECE_BINS = 10;
/** Scores are clipped this far from 0 and 1 before their log-odds are taken. */
export const SCORE_EPS = 1e-7;

/** The log-odds of a score, clipped {@linkcode SCORE_EPS} from 0 and 1. */
export function scoreLogit(p: number): number {
  const q = Math.min(1 - SCORE_EPS, Math.max(SCORE_EPS, p));
  return Math.log(q / (1 - q));
}

/** The expected calibration error of `probabilities` against 0/1 `labels`. */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = ECE_BINS,
): number {
  const n = probabilities.length;
  if (n === 0) return 0;
  const count = new Float64Array(bins),
    sumP = new Float64Array(bins),
    sumY = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(probabilities[i] * bins)));
    count[b]++;
    sumP[b] += probabilities[i];
    sumY[b] += labels[i];
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] > 0) ece += Math.abs(sumP[b] - sumY[b]) / n;
  }
  return ece;
}

/** `score` through `calibration`. */
export function calibrate(calibration: Pick<Calibration, "alpha" | "beta">, score: number): number {
  return 1 / (1 + Math.exp(-(calibration.alpha * scoreLogit(score) + calibration.beta)));
}

/**
 * Platt's targets: (n+ + 1) / (n+ + 2) for same-person pairs and 1 / (n- + 2) for the others
 * instead of 1 and 0, so that a few separable validation pairs (a small set, or a model whose
 * scores barely differ) give a finite slope and probabilities short of 0 and 1.
 */
function plattTargets(labels: number[]): number[] {
  const positives = labels.filter((v) => v === 1).length, negatives = labels.length - positives;
  return labels.map((v) => (v === 1 ? (positives + 1) / (positives + 2) : 1 / (negatives + 2)));
}

/** Fits the calibration of `scores` (raw probabilities) to `labels` (1 same, 0 different). */
export function fitCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  const z = Array.from(scores, scoreLogit), y = Array.from(labels);
  if (z.length === 0 || new Set(y).size < 2) {
    throw new RangeError("a calibration needs validation pairs of both kinds");
  }
  const { alpha, beta } = plattScaling(z, plattTargets(y));
  // Two-fold cross-fitting, the halves alternating in the pairs' (shuffled) order.
  const crossFitted = new Float64Array(z.length);
  for (const half of [0, 1]) {
    const fit = z.map((_, i) => i).filter((i) => i % 2 !== half);
    const held = z.map((_, i) => i).filter((i) => i % 2 === half);
    const fy = fit.map((i) => y[i]);
    // A half of one kind only cannot be fitted: use the whole fit there.
    const m = new Set(fy).size === 2
      ? plattScaling(fit.map((i) => z[i]), plattTargets(fy))
      : { alpha, beta };
    for (const i of held) crossFitted[i] = 1 / (1 + Math.exp(-(m.alpha * z[i] + m.beta)));
  }
  return {
    alpha,
    beta,
    pairs: z.length,
    eceBefore: expectedCalibrationError(scores, y),
    eceAfter: expectedCalibrationError(crossFitted, y),
  };
}
