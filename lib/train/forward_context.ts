/**
 * Forward-pass contexts: training (dropout masks and noise drawn from a seeded generator, batch
 * statistics recorded) and inference (everything deterministic and off).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardContext } from "../model/siamese_model.ts";
import type { Rng } from "../util/rng.ts";

/** A training context whose randomness comes from `rng`; recorded state lands in `updates`. */
export function trainingContext(rng: Rng, updates: Map<string, tf.Tensor>): ForwardContext {
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
      updates.set(name, tf.keep(value));
    },
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
