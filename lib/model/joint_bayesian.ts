/**
 * Joint Bayesian verification (Chen et al. 2012, "Bayesian face revisited"): an embedding is
 * modelled as a person's identity plus that image's variation, two independent Gaussians with
 * covariances `S_mu` and `S_eps`; two faces are then scored by the log-likelihood ratio of "one
 * identity" against "two identities",
 * `(x^T A x + y^T A y - 2 x^T G y) / 2 + bias`, with `A` and `G` fitted on the training people
 * (`lib/train/fit_joint_bayesian.ts`). Unlike a cosine it weighs each direction by how much it
 * separates people against how much one person's images vary along it. Embeddings are scaled
 * to unit length first (the variant that measured best here).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { jointBayesianLogits } from "./joint_bayesian.ts";
 * const a = tf.neg(tf.eye(2)), g = tf.mul(tf.eye(2), -0.5), bias = tf.zeros([1]);
 * const x = tf.tensor2d([[1, 0]]), y = tf.tensor2d([[0.8, 0.6]]);
 * jointBayesianLogits(x, y, { a, g, bias }); // [[-0.2]]: (-1 - 1 + 2 * 0.4) / 2 + 0
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The fitted matrices A and G [d, d] and bias [1] of the log-likelihood ratio. */
export interface JointBayesianTensors {
  a: tf.Tensor;
  g: tf.Tensor;
  bias: tf.Tensor;
}

/** Rows of `x` [batch, d] scaled to unit length. */
export function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
}

/** Same-person logits [batch, 1] of embeddings `left` and `right` [batch, d]. */
export function jointBayesianLogits(
  left: tf.Tensor2D,
  right: tf.Tensor2D,
  m: JointBayesianTensors,
): tf.Tensor2D {
  return tf.tidy(() => {
    const x = unitRows(left), y = unitRows(right);
    const a = m.a as tf.Tensor2D, g = m.g as tf.Tensor2D;
    const quadratic = (u: tf.Tensor2D, matrix: tf.Tensor2D, v: tf.Tensor2D) =>
      tf.sum(tf.mul(tf.matMul(u, matrix), v), 1, true);
    const r = tf.sub(
      tf.add(quadratic(x, a, x), quadratic(y, a, y)),
      tf.mul(quadratic(x, g, y), 2),
    );
    return tf.add(tf.mul(r, 0.5), m.bias) as tf.Tensor2D;
  });
}

/**
 * Joint Bayesian same-person logits [batch, 1] of two [batch, d] embeddings
 * ({@linkcode jointBayesianLogits}); its weights are A and G [d, d] and the bias [1].
 */
export class JointBayesianScore extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "JointBayesianScore";
  a: tf.LayerVariable | null = null;
  g: tf.LayerVariable | null = null;
  bias: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as tf.Shape[])[0][1] as number;
    this.a = this.addWeight("a", [d, d], "float32", tf.initializers.zeros());
    this.g = this.addWeight("g", [d, d], "float32", tf.initializers.zeros());
    this.bias = this.addWeight("bias", [1], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape[])[0][0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [left, right] = inputs as tf.Tensor2D[];
    return jointBayesianLogits(left, right, {
      a: this.a!.read(),
      g: this.g!.read(),
      bias: this.bias!.read(),
    });
  }
}
