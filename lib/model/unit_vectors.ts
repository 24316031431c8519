/**
 * Unit vectors: each row (axis 1) or column (axis 0) divided by its Euclidean norm, the
 * normalisation of cosine objectives and of projected embeddings. (The custom layers in
 * `custom_layers.ts` repeat it in their own bodies: the export copies their source alone.)
 *
 * @example
 * ```ts
 * unitVectors(tf.tensor2d([[3, 4]]), 1); // [[0.6, 0.8]]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** `x` with each row (axis 1) or column (axis 0) scaled to length 1 (a 1e-12 floor on 0). */
export function unitVectors(x: tf.Tensor2D, axis: 0 | 1): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), axis, true), 1e-12)));
}
