/**
 * The `lbp_lda` model: a classical descriptor with a learnt linear projection, no neural
 * network. Each face's uniform LBP histograms (radii 1 and 2, 8 x 8 cells, square-rooted; see
 * `lbp_histograms.ts`) are projected to 100 dimensions by PCA (400 components, whitened) then
 * LDA over the training people, fitted in one pass (`lib/train/fit_lda.ts`), and two faces are
 * compared by the cosine of their projections. It is the family that leads LFW's tables without
 * outside data, and it fits in about a minute on a CPU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { LbpHistograms } from "./custom_layers.ts";
import { lbpFeatureSize, lbpHistograms } from "./lbp_histograms.ts";
import { COSINE_LOGIT_SCALE, scaledCosine, scaledCosineLayers } from "./seed_cosface_model.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** LBP radii and cell side of the descriptor. */
export const LBP_RADII: readonly number[] = [1, 2];
/** Side of an LBP cell in pixels. */
export const LBP_CELL = 8;
const INPUT = 64;
const FEATURES = lbpFeatureSize(INPUT, LBP_RADII, LBP_CELL);
/** Length of the projected descriptor (LDA components). */
const EMBEDDING = 100;

/** The projection matrix [descriptor, embedding]. */
export const LBP_PROJECTION = "lbp/projection";
/** The projection's offset [embedding] (minus the projected mean descriptor). */
export const LBP_OFFSET = "lbp/offset";

/** The `lbp_lda` model. */
export const LBP_LDA_MODEL: SiameseModel = {
  name: "lbp_lda",
  description:
    `uniform LBP histograms (radii 1, 2; 8x8 cells; ${FEATURES} values) projected by PCA (400, whitened) + LDA (${EMBEDDING}) fitted on the training people; cosine verification`,
  inputSize: INPUT,
  batchSize: 128,
  embeddingSize: EMBEDDING,
  movingAverageMomentum: 0,
  objective: { kind: "lda", components: 400 },
  params: [
    {
      name: LBP_PROJECTION,
      shape: [FEATURES, EMBEDDING],
      init: "zeros",
      trainable: false,
      part: "branch",
    },
    { name: LBP_OFFSET, shape: [EMBEDDING], init: "zeros", trainable: false, part: "branch" },
  ],
  fitted: {
    descriptor: (images) => lbpHistograms(images, LBP_RADII, LBP_CELL),
    projection: LBP_PROJECTION,
    offset: LBP_OFFSET,
  },
  embed: (p, images) =>
    tf.tidy(() =>
      tf.add(
        tf.matMul(lbpHistograms(images, LBP_RADII, LBP_CELL), p[LBP_PROJECTION] as tf.Tensor2D),
        p[LBP_OFFSET],
      ) as tf.Tensor2D
    ),
  head: (_p, l, r) => scaledCosine(l, r, COSINE_LOGIT_SCALE),
  layers: {
    branch(face) {
      const dense = tf.layers.dense({ units: EMBEDDING, name: "lbp_projection" });
      const histograms = new LbpHistograms({ radii: [...LBP_RADII], cell: LBP_CELL, name: "lbp" });
      return {
        output: dense.apply(histograms.apply(face)) as tf.SymbolicTensor,
        weighted: [[dense, [LBP_PROJECTION, LBP_OFFSET]]],
      };
    },
    head: scaledCosineLayers,
  },
};
