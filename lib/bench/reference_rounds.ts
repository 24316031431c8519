/**
 * Our training speed beside the PyTorch reference's, measured in alternating rounds.
 *
 * On a shared 2-core virtual machine one 6-step window of either program varies by up to 2x
 * from one run to the next (neighbours, frequency, steal time); the PyTorch peer was seen at
 * 162-434 pairs/s in the same quarter hour. So the benchmark alternates the two programs
 * (ours, reference, ours, reference, ...) and compares the medians: a slow minute then slows
 * both sides instead of deciding the ratio.
 * @module
 */
import type { TrainingFigures } from "./speed_benchmarks.ts";
import type { TorchReference } from "./torch_reference.ts";

/** The figures of all rounds and their medians. */
export interface ReferenceRounds {
  /** Our timed windows, one per round. */
  ours: TrainingFigures[];
  /** The reference's runs, one per round (each may have failed, with its reason). */
  reference: TorchReference[];
  /** Median of our pairs/s. */
  oursPairsPerSecond: number;
  /** Median of our CPU use, in % of one core. */
  oursCpuPercent: number;
  /** Median of the reference's pairs/s, when every run succeeded. */
  referencePairsPerSecond?: number;
  /** Median of the reference's forward images/s, when every run succeeded. */
  referenceForwardImagesPerSecond?: number;
  /** Ours / reference, of the medians. */
  ratio?: number;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `rounds` rounds of one timed window of `steps` steps of ours, then one run of the
 * reference (skipped when `reference` is undefined; the first failing run ends the rounds'
 * reference runs). `onRound` sees each round's figures as they come.
 */
export async function measureAgainstReference(
  ours: { measure(steps: number): Promise<TrainingFigures> },
  reference: (() => Promise<TorchReference>) | undefined,
  options: {
    rounds: number;
    steps: number;
    onRound?: (round: number, ours: TrainingFigures, reference?: TorchReference) => void;
  },
): Promise<ReferenceRounds> {
  if (!(options.rounds >= 1)) throw new RangeError(`rounds must be >= 1, got ${options.rounds}`);
  const oursFigures: TrainingFigures[] = [];
  const referenceFigures: TorchReference[] = [];
  let runReference = reference !== undefined;
  for (let round = 0; round < options.rounds; round++) {
    const figures = await ours.measure(options.steps);
    oursFigures.push(figures);
    let peer: TorchReference | undefined;
    if (runReference) {
      peer = await reference!();
      referenceFigures.push(peer);
      runReference = peer.ok;
    }
    options.onRound?.(round, figures, peer);
  }
  const result: ReferenceRounds = {
    ours: oursFigures,
    reference: referenceFigures,
    oursPairsPerSecond: median(oursFigures.map((f) => f.pairsPerSecond)),
    oursCpuPercent: median(oursFigures.map((f) => f.cpuPercent)),
  };
  if (referenceFigures.length === options.rounds && referenceFigures.every((r) => r.ok)) {
    result.referencePairsPerSecond = median(referenceFigures.map((r) => r.trainPairsPerSecond!));
    result.referenceForwardImagesPerSecond = median(
      referenceFigures.map((r) => r.forwardImagesPerSecond!),
    );
    result.ratio = result.oursPairsPerSecond / result.referencePairsPerSecond;
  }
  return result;
}
