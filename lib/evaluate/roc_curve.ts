/**
 * ROC analysis of same-person scores: the curve, its area, the equal error rate and the
 * true-accept rate at a fixed false-accept rate (the verification community's TAR@FAR).
 * @module
 */

/** One ROC point: rates when pairs with score >= threshold are accepted. */
export interface RocPoint {
  threshold: number;
  /** False-accept (false-positive) rate. */
  fpr: number;
  /** True-accept (true-positive) rate. */
  tpr: number;
}

/**
 * The ROC curve from (0, 0) to (1, 1), one point per distinct score (tied scores move together),
 * in order of decreasing threshold. Empty classes give rates of 0.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  if (scores.length !== labels.length) {
    throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  }
  for (let i = 0; i < scores.length; i++) {
    // A NaN compares false with everything, so the tie loop below would never advance.
    if (!Number.isFinite(scores[i])) {
      throw new RangeError(`score ${i} is ${scores[i]}: scores must be finite numbers`);
    }
  }
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  const rate = (n: number, d: number) => (d === 0 ? 0 : n / d);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0, fp = 0;
  for (let k = 0; k < order.length;) {
    const score = scores[order[k]];
    while (k < order.length && scores[order[k]] === score) {
      labels[order[k]] === 1 ? tp++ : fp++;
      k++;
    }
    points.push({ threshold: score, fpr: rate(fp, negatives), tpr: rate(tp, positives) });
  }
  return points;
}

/** Area under the ROC curve (trapezoids; 0.5 for a coin, 1 for a perfect ranking). */
export function rocAuc(curve: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    area += (curve[i].fpr - curve[i - 1].fpr) * (curve[i].tpr + curve[i - 1].tpr) / 2;
  }
  return area;
}

/** The equal error rate: where the false-accept rate equals the false-reject rate (1 - TPR). */
export function equalErrorRate(curve: readonly RocPoint[]): number {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1], b = curve[i];
    const da = a.fpr - (1 - a.tpr), db = b.fpr - (1 - b.tpr);
    if (da <= 0 && db >= 0) {
      // Interpolate linearly between the two points where the difference changes sign.
      const t = db === da ? 0 : -da / (db - da);
      return a.fpr + t * (b.fpr - a.fpr);
    }
  }
  return curve.length ? curve[curve.length - 1].fpr : NaN;
}

/**
 * The highest true-accept rate whose false-accept rate does not exceed `far`, or `null` when
 * the data cannot support it: fewer than 1/`far` different-person pairs (`negatives`) cannot
 * measure a false-accept rate that small (TAR at 0.1% FAR needs at least 1,000).
 */
export function tarAtFar(
  curve: readonly RocPoint[],
  far: number,
  negatives: number,
): number | null {
  if (negatives < Math.round(1 / far)) return null;
  let best = 0;
  for (const p of curve) if (p.fpr <= far + 1e-12) best = Math.max(best, p.tpr);
  return best;
}

/** The number of different-person (label 0) pairs. */
export function negativeCount(labels: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 1) n++;
  return n;
}

/**
 * Whether an AUC is within noise of chance (0.5): within two standard errors of the AUC of a
 * random scorer on `positives` same-person and `negatives` different-person pairs
 * (sqrt((n1 + n2 + 1) / (12 n1 n2)), the null distribution of the Mann-Whitney statistic).
 */
export function nearChance(auc: number, positives: number, negatives: number): boolean {
  if (positives === 0 || negatives === 0) return true;
  const se = Math.sqrt((positives + negatives + 1) / (12 * positives * negatives));
  return Math.abs(auc - 0.5) < 2 * se;
}
