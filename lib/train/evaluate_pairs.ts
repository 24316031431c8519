/**
 * Same-person probabilities of many pairs with a trained model (no augmentation, inference
 * mode), plus the mean loss and accuracy at a threshold.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelParams } from "../model/model_params.ts";
import { forwardPairs } from "../model/siamese_model.ts";
import { INFERENCE_CONTEXTS } from "./forward_context.ts";
import { batchCount, type BatchSourceInput, makeBatch } from "./pair_batches.ts";

/** Results of {@linkcode predictPairs}. */
export interface PairPredictions {
  /** Same-person probability per pair, in pair order. */
  probabilities: Float32Array;
  /** Mean binary cross-entropy. */
  loss: number;
  /** Fraction of pairs on the right side of 0.5. */
  accuracy: number;
}

/** Runs the model over every pair of `input` (its `augment` must be null). */
export function predictPairs(params: ModelParams, input: BatchSourceInput): PairPredictions {
  if (input.augment) throw new Error("predictPairs: evaluation pairs are not augmented");
  const total = input.pairs.a.length;
  const probabilities = new Float32Array(total);
  let lossSum = 0;
  let correct = 0;
  const size = input.size;
  for (let i = 0; i < batchCount(total, input.batchSize); i++) {
    const batch = makeBatch(input, null, 0, i);
    const logits = tf.tidy(() => {
      const left = tf.tensor4d(batch.left, [batch.count, size, size, 1]);
      const right = tf.tensor4d(batch.right, [batch.count, size, size, 1]);
      return forwardPairs(params.model, params.tensors(), left, right, INFERENCE_CONTEXTS);
    });
    const z = logits.dataSync();
    logits.dispose();
    for (let k = 0; k < batch.count; k++) {
      const y = batch.labels[k];
      // Stable binary cross-entropy from a logit.
      lossSum += Math.max(z[k], 0) - z[k] * y + Math.log1p(Math.exp(-Math.abs(z[k])));
      const p = 1 / (1 + Math.exp(-z[k]));
      probabilities[i * input.batchSize + k] = p;
      if ((p >= 0.5 ? 1 : 0) === y) correct++;
    }
  }
  return {
    probabilities,
    loss: total ? lossSum / total : NaN,
    accuracy: total ? correct / total : NaN,
  };
}
