/**
 * A model whose verification head compares projected embeddings: each embedding is scaled to
 * unit length, then mapped by a learnt affine projection (`x K + b`) before the model's own head.
 * The projection is fitted after training (e.g. WCCN on the training people's embeddings, see
 * `lib/evaluate/embedding_projection.ts`), so its parameters are not trainable; the branch is the
 * model's, unchanged. `test --projection`, `compare` and `export` all score through this one
 * head, and the layers export gets the same projection as an `L2Normalize` layer and a dense layer.
 *
 * @example
 * ```ts
 * const projected = withProjection(getModel("seed_cosface"));
 * const params = new ModelParams(projected, new Map([...trained, ...projectionParamArrays(wccn)]));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { L2Normalize } from "./basic_layers.ts";
import { unitVectors } from "./unit_vectors.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** The projection's kernel [embedding, embedding]: projected = unit(x) K + b. */
export const PROJECTION_KERNEL = "projection/kernel";
/** The projection's bias [embedding]. */
export const PROJECTION_BIAS = "projection/bias";

/** `model` with a fitted projection of both embeddings before its head. */
export function withProjection(model: SiameseModel): SiameseModel {
  if (model.params.some((p) => p.name === PROJECTION_KERNEL)) return model;
  const d = model.embeddingSize;
  const project = (p: Record<string, tf.Tensor>, x: tf.Tensor2D) =>
    tf.add(
      tf.matMul(unitVectors(x, 1), p[PROJECTION_KERNEL] as tf.Tensor2D),
      p[PROJECTION_BIAS],
    ) as tf.Tensor2D;
  return {
    ...model,
    description:
      `${model.description}; embeddings projected (fitted after training) before the head`,
    params: [
      ...model.params,
      { name: PROJECTION_KERNEL, shape: [d, d], init: "zeros", trainable: false, part: "head" },
      { name: PROJECTION_BIAS, shape: [d], init: "zeros", trainable: false, part: "head" },
    ],
    head: (p, left, right, ctx) => model.head(p, project(p, left), project(p, right), ctx),
    layers: {
      branch: model.layers.branch,
      head(left, right, prefix = "") {
        // One instance of each layer serves both sides: the weights are shared.
        const normalize = new L2Normalize({ name: `${prefix}projection_normalize` });
        const dense = tf.layers.dense({ units: d, name: `${prefix}projection` });
        const side = (x: tf.SymbolicTensor) => dense.apply(normalize.apply(x)) as tf.SymbolicTensor;
        const inner = model.layers.head(side(left), side(right), prefix);
        return {
          output: inner.output,
          weighted: [[dense, [PROJECTION_KERNEL, PROJECTION_BIAS]], ...inner.weighted],
        };
      },
    },
  };
}
