/**
 * Training objectives: the loss of a batch from the embeddings of its two sides. Models declare
 * their objective ({@linkcode ObjectiveSpec}); the training steps call
 * {@linkcode objectiveLoss} and never assume one kind.
 *
 * - `pair`: the model's head gives a same-person logit per pair; binary cross-entropy.
 * - `cosface`: both sides are single images with identity labels (a batch holds pairs of
 *   images of one person, so batch-norm statistics and the two threads stay as for pairs);
 *   large-margin cosine loss (CosFace): logits s * (cos(e, w_c) - m [c = label]) over the
 *   training identities, whose weight vectors `cosface/weights` the objective adds to the model.
 *
 * @example
 * ```ts
 * const model = withObjectiveParams(getModel("seed_cosface"), 1000);
 * const { loss, correct } = objectiveLoss(model, params.tensors(), left, right, labels, ctx);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardContext, ObjectiveSpec, SiameseModel } from "../model/siamese_model.ts";
import { unitVectors } from "../model/unit_vectors.ts";

/** The name of the identity weight matrix [embedding, classes] of the `cosface` objective. */
export const COSFACE_WEIGHTS = "cosface/weights";

/** Whether a model learns from identity labels of single images (rather than pairs). */
export function learnsIdentities(model: SiameseModel): boolean {
  return model.objective.kind !== "pair";
}

/**
 * The model trained with `objective` (its own when undefined): `train --margin` and
 * `--logit-scale` change an identity objective's constants, never its kind.
 */
export function withObjective(model: SiameseModel, objective?: ObjectiveSpec): SiameseModel {
  if (objective === undefined) return model;
  if (objective.kind !== model.objective.kind) {
    throw new Error(
      `model ${model.name} trains with the ${model.objective.kind} objective, not ${objective.kind}`,
    );
  }
  return { ...model, objective };
}

/**
 * The model with the parameters its objective trains for `classes` training identities (none
 * for `pair`, `lda` and `ensemble`). Inference needs only the model itself: these parameters serve
 * the loss alone.
 */
export function withObjectiveParams(model: SiameseModel, classes: number): SiameseModel {
  if (model.objective.kind !== "cosface") return model;
  if (!(Number.isInteger(classes) && classes >= 2)) {
    throw new Error(
      `objective ${model.objective.kind} needs at least 2 identities, got ${classes}`,
    );
  }
  return {
    ...model,
    params: [...model.params, {
      name: COSFACE_WEIGHTS,
      shape: [model.embeddingSize, classes],
      init: "orthogonal",
      trainable: true,
      part: "head",
    }],
  };
}

/** The mean loss of a batch and its count of correct predictions (a scalar, not differentiated). */
export interface ObjectiveLoss {
  loss: tf.Scalar;
  /** Pairs on the right side of 0 (`pair`), or images whose nearest identity is theirs. */
  correct: tf.Scalar;
  /** Predictions counted in `correct`: pairs, or images (twice the pairs). */
  predictions: number;
}

/**
 * The objective's loss for embeddings of the batch's left and right sides. `labels` are
 * same-person flags (`pair`) or the identity of each pair (`cosface`: both images are of it).
 * `correct` is kept out of the enclosing tidy; the caller disposes it.
 */
export function objectiveLoss(
  model: SiameseModel,
  params: Record<string, tf.Tensor>,
  sides: { left: tf.Tensor2D; right: tf.Tensor2D },
  labels: Float32Array,
  ctx: ForwardContext,
): ObjectiveLoss {
  const { left, right } = sides;
  const count = left.shape[0];
  const objective = model.objective;
  if (objective.kind === "pair") {
    const y = tf.tensor2d(labels.subarray(0, count), [count, 1]);
    const z = model.head(params, left, right, ctx);
    const correct = tf.keep(
      tf.tidy(() =>
        tf.sum(tf.cast(tf.equal(tf.cast(tf.greaterEqual(z, 0), "float32"), y), "float32"))
      ),
    ) as tf.Scalar;
    return {
      loss: tf.losses.sigmoidCrossEntropy(y, z) as tf.Scalar,
      correct,
      predictions: count,
    };
  }
  if (objective.kind === "lda" || objective.kind === "ensemble") {
    throw new Error(`model ${model.name} is fitted (${objective.kind}), not trained by a loss`);
  }
  const weights = params[COSFACE_WEIGHTS] as tf.Tensor2D | undefined;
  if (!weights) {
    throw new Error(`model ${model.name}: ${COSFACE_WEIGHTS} missing (withObjectiveParams)`);
  }
  const classes = weights.shape[1];
  const ids = Int32Array.from(labels.subarray(0, count));
  const y = tf.tensor1d(Int32Array.from([...ids, ...ids]), "int32");
  const oneHot = tf.oneHot(y, classes);
  const cosine = tf.matMul(unitVectors(tf.concat([left, right], 0), 1), unitVectors(weights, 0));
  const logits = tf.mul(tf.sub(cosine, tf.mul(oneHot, objective.margin)), objective.scale);
  const correct = tf.keep(
    tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(cosine, 1), y), "float32"))),
  ) as tf.Scalar;
  return {
    loss: tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar,
    correct,
    predictions: 2 * count,
  };
}
