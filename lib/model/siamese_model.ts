/**
 * What every siamese model definition provides, so that models are named, swappable
 * definitions and the training loop never changes when a better one is added.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** How a parameter starts. */
export type Initializer = "orthogonal" | "zeros" | "ones";

/** One parameter tensor of a model. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: Initializer;
  /** false for batch-norm moving statistics, which the optimiser does not touch. */
  trainable: boolean;
}

/** Randomness and bookkeeping a forward pass needs, provided by the caller. */
export interface ForwardContext {
  /** Training mode: dropout and noise active, batch statistics used and recorded. */
  training: boolean;
  /** Inverted dropout (identity when not training). */
  dropout(x: tf.Tensor, rate: number): tf.Tensor;
  /** Additive Gaussian noise (identity when not training). */
  gaussianNoise(x: tf.Tensor, sigma: number): tf.Tensor;
  /** Records new values of non-trainable parameters (moving statistics) to apply after a step. */
  updateState(name: string, value: tf.Tensor): void;
}

/** A siamese face-pair model. */
export interface SiameseModel {
  /** Registry name, e.g. "seed". */
  name: string;
  /** One-line description for reports. */
  description: string;
  /** Side of the square grey input images. */
  inputSize: number;
  /** Training batch size (pairs) the model was designed for. */
  batchSize: number;
  /** Every parameter, in a fixed order (the order of checkpoints). */
  params: ParamSpec[];
  /** Same-person logits [batch, 1] for left and right images [batch, size, size, 1]. */
  forward(
    params: Record<string, tf.Tensor>,
    left: tf.Tensor4D,
    right: tf.Tensor4D,
    ctx: ForwardContext,
  ): tf.Tensor2D;
}

/** Total number of scalars in a model's parameters (trainable and not). */
export function parameterCount(model: SiameseModel): { total: number; trainable: number } {
  let total = 0;
  let trainable = 0;
  for (const p of model.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    total += n;
    if (p.trainable) trainable += n;
  }
  return { total, trainable };
}
