/**
 * Threshold metrics of same-person scores: the confusion counts and the original project's
 * accuracy, error rate, recall, precision and F1, plus the threshold that maximises accuracy.
 * A pair is predicted "same person" when its score is >= the threshold.
 * @module
 */

/** Confusion counts; "positive" means same person. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Threshold metrics. Ratios whose denominator is 0 are 0 (as scikit-learn reports them). */
export interface ClassificationMetrics extends Confusion {
  threshold: number;
  pairs: number;
  accuracy: number;
  errorRate: number;
  recall: number;
  precision: number;
  f1: number;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  }
}

/** Counts outcomes at `options.threshold`. Labels are 1 (same person) or 0. */
export function confusionAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { threshold: number },
): Confusion {
  const { threshold } = options;
  checkInputs(scores, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i] === 1) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Accuracy, error rate, recall, precision and F1 at `options.threshold`. */
export function classificationMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { threshold: number },
): ClassificationMetrics {
  const { threshold } = options;
  const c = confusionAt(scores, labels, options);
  const pairs = scores.length;
  const accuracy = ratio(c.tp + c.tn, pairs);
  const recall = ratio(c.tp, c.tp + c.fn);
  const precision = ratio(c.tp, c.tp + c.fp);
  return {
    ...c,
    threshold,
    pairs,
    accuracy,
    errorRate: pairs === 0 ? 0 : 1 - accuracy,
    recall,
    precision,
    f1: ratio(2 * precision * recall, precision + recall),
  };
}

/**
 * The threshold with the highest accuracy on (scores, labels): the midpoint between two
 * adjacent distinct scores (or just beyond the extremes). Ties in accuracy go to the threshold
 * closest to 0.5, so an uninformative set keeps the natural threshold.
 */
export function bestThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkInputs(scores, labels);
  if (scores.length === 0) return 0.5;
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const positives = Array.from(labels).filter((l) => l === 1).length;
  // Threshold below everything: every pair predicted positive.
  let correct = positives;
  let best = { correct, threshold: scores[order[0]] - 1e-6 };
  const consider = (threshold: number) => {
    if (
      correct > best.correct ||
      (correct === best.correct && Math.abs(threshold - 0.5) < Math.abs(best.threshold - 0.5))
    ) {
      best = { correct, threshold };
    }
  };
  consider(0.5 <= scores[order[0]] ? 0.5 : best.threshold);
  for (let k = 0; k < order.length;) {
    // Move every pair with this score to the negative side.
    const score = scores[order[k]];
    while (k < order.length && scores[order[k]] === score) {
      correct += labels[order[k]] === 1 ? -1 : 1;
      k++;
    }
    const next = k < order.length ? scores[order[k]] : score + 1e-6;
    consider(k < order.length ? (score + next) / 2 : next);
    if (k < order.length && score < 0.5 && next >= 0.5) consider(0.5);
  }
  return best.threshold;
}
