/**
 * Turning pairs of prepared faces into training batches: the epoch's pair order and each
 * batch's augmentations come from generators derived from (seed, epoch, batch), so any batch
 * can be rebuilt exactly, by any thread, after any interruption.
 * @module
 */
import { AffineAugmenter, type AugmentParams } from "../augment/affine_augmenter.ts";
import type { Pair } from "../data/sample_pairs.ts";
import { Rng } from "../util/rng.ts";

/** Stream labels for {@linkcode Rng.derive}: one per use of randomness in a run. */
export const STREAMS = {
  order: 1,
  augment: 2,
  noise: 3,
  init: 4,
  tta: 5,
  identityPartners: 6,
} as const;

/** Pairs in a form that can be sent to a worker. */
export interface PairColumns {
  a: Int32Array;
  b: Int32Array;
  same: Uint8Array;
  /**
   * Identity objectives: the person (class) of each pair, whose two images both show it. A
   * batch's labels are then these class numbers instead of the same-person flags.
   */
  classes?: Int32Array;
}

/** Everything needed to build batches. */
export interface BatchSourceInput {
  /** Faces at the model's input size, N x size x size bytes. */
  faces: Uint8Array;
  size: number;
  pairs: PairColumns;
  batchSize: number;
  seed: number;
  /** Augmentation ranges, or null for none (validation, test). */
  augment: AugmentParams | null;
}

/** One batch: left and right images in [0, 1] and same-person labels (1 or 0). */
export interface Batch {
  left: Float32Array;
  right: Float32Array;
  labels: Float32Array;
  count: number;
}

/** Converts a pair list to columns. */
export function pairColumns(pairs: readonly Pair[]): PairColumns {
  return {
    a: Int32Array.from(pairs, (p) => p.a),
    b: Int32Array.from(pairs, (p) => p.b),
    same: Uint8Array.from(pairs, (p) => (p.same ? 1 : 0)),
  };
}

/** Number of batches per epoch (the last one may be smaller). */
export function batchCount(pairs: number, batchSize: number): number {
  return Math.ceil(pairs / batchSize);
}

/** The order in which an epoch visits the pairs. */
export function epochOrder(pairs: number, seed: number, epoch: number): Int32Array {
  const order = Array.from({ length: pairs }, (_, i) => i);
  Rng.derive(seed, STREAMS.order, epoch).shuffle(order);
  return Int32Array.from(order);
}

/** Which batch to build. */
export interface BatchPosition {
  /** The epoch, or the round of test-time augmentation (with `stream` STREAMS.tta). */
  epoch: number;
  /** Batch number within the epoch. */
  index: number;
  /** The epoch's pair order (default: the stored order). */
  order?: Int32Array;
  /** The generator stream of the augmentations (default STREAMS.augment). */
  stream?: number;
}

/**
 * Builds one batch. With augmentation, each image gets its own random transform and the pair
 * its random side swap, drawn from a generator derived from (seed, stream, epoch, index).
 */
export function makeBatch(input: BatchSourceInput, at: BatchPosition): Batch {
  const { epoch, index } = at;
  const order = at.order;
  const { size, batchSize, pairs, faces } = input;
  const total = pairs.a.length;
  const start = index * batchSize;
  const count = Math.min(batchSize, total - start);
  const pixels = size * size;
  const left = new Float32Array(count * pixels);
  const right = new Float32Array(count * pixels);
  const labels = new Float32Array(count);
  const augmenter = input.augment ? new AffineAugmenter(input.augment, size) : null;
  const rng = Rng.derive(input.seed, at.stream ?? STREAMS.augment, epoch, index);
  for (let k = 0; k < count; k++) {
    const p = order ? order[start + k] : start + k;
    let a = pairs.a[p], b = pairs.b[p];
    if (augmenter && rng.nextFloat() < augmenter.params.swapProbability) [a, b] = [b, a];
    const fa = faces.subarray(a * pixels, (a + 1) * pixels);
    const fb = faces.subarray(b * pixels, (b + 1) * pixels);
    if (augmenter) {
      augmenter.apply(fa, augmenter.sample(rng), left, k * pixels);
      augmenter.apply(fb, augmenter.sample(rng), right, k * pixels);
    } else {
      for (let i = 0; i < pixels; i++) {
        left[k * pixels + i] = fa[i] / 255;
        right[k * pixels + i] = fb[i] / 255;
      }
    }
    labels[k] = pairs.classes ? pairs.classes[p] : pairs.same[p];
  }
  return { left, right, labels, count };
}
