/**
 * The cosine verification head of identity models (the CNNs trained with CosFace, the descriptor
 * models, ensembles): the cosine similarity of the two embeddings, scaled into a logit. A module
 * of its own, so that a model using the head does not load (and is not keyed on) another
 * model's definition.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LayersPart } from "./siamese_model.ts";
import { ScaledCosine } from "./basic_layers.ts";

/**
 * Verification logit = this x cosine similarity. Any positive factor ranks pairs the same; 10
 * keeps sigmoid(logit) away from 0 and 1 over the cosines faces give, so predictions stay
 * distinguishable at 6 decimals. The decision threshold is chosen on validation.
 */
export const COSINE_LOGIT_SCALE = 10;

/** Cosine similarity of matching rows, scaled: [batch, 1]. */
export function scaledCosine(left: tf.Tensor2D, right: tf.Tensor2D, scale: number): tf.Tensor2D {
  const norm = (x: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12));
  return tf.mul(
    tf.div(tf.sum(tf.mul(left, right), 1, true), tf.mul(norm(left), norm(right))),
    scale,
  ) as tf.Tensor2D;
}

/** The cosine verification head from tfjs layers (its layer's name starts with `prefix`). */
export function scaledCosineLayers(
  left: tf.SymbolicTensor,
  right: tf.SymbolicTensor,
  prefix = "",
): LayersPart {
  return {
    output: new ScaledCosine({ scale: COSINE_LOGIT_SCALE, name: `${prefix}scaled_cosine` }).apply([
      left,
      right,
    ]) as tf.SymbolicTensor,
    weighted: [],
  };
}
