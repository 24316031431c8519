/**
 * Forward-pass contexts: training (dropout masks and noise drawn from seeded generators, batch
 * statistics recorded) and inference (everything deterministic and off).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardContext, PairContexts } from "../model/siamese_model.ts";
import { Rng } from "../util/rng.ts";
import { STREAMS } from "./pair_batches.ts";

/** Observed batch statistics, in the order they were recorded. */
export type StateUpdates = { name: string; value: tf.Tensor }[];

/** A training context whose randomness comes from `rng`; recorded state lands in `updates`. */
export function trainingContext(rng: Rng, updates: StateUpdates): ForwardContext {
  return {
    training: true,
    dropout(x, rate) {
      if (rate <= 0) return x;
      const keep = 1 / (1 - rate);
      const mask = new Float32Array(x.size);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.nextFloat() < rate ? 0 : keep;
      return tf.mul(x, tf.tensor(mask, x.shape));
    },
    gaussianNoise(x, sigma) {
      const noise = new Float32Array(x.size);
      for (let i = 0; i < noise.length; i++) noise[i] = sigma * rng.normal();
      return tf.add(x, tf.tensor(noise, x.shape));
    },
    updateState(name, value) {
      updates.push({ name, value: tf.keep(value) });
    },
  };
}

/** Which part of a pair's forward pass a generator serves. */
export const PARTS = { left: 0, right: 1, head: 2 } as const;

/** Where a training step's noise comes from: the run's seed and the step's position. */
export interface NoiseKey {
  seed: number;
  epoch: number;
  batch: number;
}

/** The generator of one part of one step (the same on one thread or two). */
export function partRng(key: NoiseKey, part: keyof typeof PARTS): Rng {
  return Rng.derive(key.seed, STREAMS.noise, key.epoch, key.batch, PARTS[part]);
}

/** Training contexts for the three parts of a step, recording into `updates` in part order. */
export function pairTrainingContexts(
  key: NoiseKey,
  updates: { left: StateUpdates; right: StateUpdates; head: StateUpdates },
): PairContexts {
  return {
    left: trainingContext(partRng(key, "left"), updates.left),
    right: trainingContext(partRng(key, "right"), updates.right),
    head: trainingContext(partRng(key, "head"), updates.head),
  };
}

/** The inference context. */
export const INFERENCE_CONTEXT: ForwardContext = {
  training: false,
  dropout: (x) => x,
  gaussianNoise: (x) => x,
  updateState() {
    throw new Error("inference must not update model state");
  },
};

/** Inference contexts for every part. */
export const INFERENCE_CONTEXTS: PairContexts = {
  left: INFERENCE_CONTEXT,
  right: INFERENCE_CONTEXT,
  head: INFERENCE_CONTEXT,
};
