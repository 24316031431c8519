/**
 * The LBP models: a classical descriptor with a learnt linear projection, no neural network.
 * Each face's uniform LBP histograms (`lbp_histograms.ts`) are projected by PCA (whitened) then
 * LDA over the training people, fitted in one pass (`lib/train/fit_lda.ts`), and two faces are
 * compared by the cosine of their projections (`lbp_lda`) or by a Joint Bayesian
 * log-likelihood ratio fitted on the same people (`lbp_jb`, `joint_bayesian.ts`). It is the
 * family that leads LFW's tables without outside data, and it fits in about a minute on a CPU.
 *
 * @example
 * ```ts
 * import { LBP_JB_MODEL } from "./lbp_model.ts";
 * LBP_JB_MODEL.fitted!.jointBayesian; // the names of the parameters its fit fills
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { JointBayesianScore, LbpHistograms } from "./custom_layers.ts";
import { jointBayesianLogits } from "./joint_bayesian.ts";
import { multiScaleLbpFeatureSize, multiScaleLbpHistograms } from "./lbp_histograms.ts";
import { COSINE_LOGIT_SCALE, scaledCosine, scaledCosineLayers } from "./seed_cosface_model.ts";
import type { LayersPart, SiameseModel } from "./siamese_model.ts";

/** LBP radii of the descriptors. */
export const LBP_RADII: readonly number[] = [1, 2];
/** Side of an LBP cell in pixels. */
export const LBP_CELL = 8;
const INPUT = 64;
/** Length of the projected descriptor (LDA components). */
const EMBEDDING = 100;
/** PCA components kept before the LDA. */
const COMPONENTS = 400;

/** The projection matrix [descriptor, embedding]. */
export const LBP_PROJECTION = "lbp/projection";
/** The projection's offset [embedding] (minus the projected mean descriptor). */
export const LBP_OFFSET = "lbp/offset";
/** The Joint Bayesian head's A, G [embedding, embedding] and bias [1] (`lbp_jb`). */
export const LBP_JB_A = "lbp/jb_a", LBP_JB_G = "lbp/jb_g", LBP_JB_BIAS = "lbp/jb_bias";

/** How an LBP model is made. */
interface LbpModelOptions {
  name: string;
  /** Scales of the faces the histograms are taken at (1: as they are, 2: halved). */
  scales: readonly number[];
  /** The head: the cosine of the projections, or a Joint Bayesian ratio. */
  head: "cosine" | "joint-bayesian";
}

/** An LBP model (see the module's description). */
function lbpModel(options: LbpModelOptions): SiameseModel {
  const { scales } = options;
  const features = multiScaleLbpFeatureSize(INPUT, scales, LBP_RADII, LBP_CELL);
  const jointBayesian = options.head === "joint-bayesian";
  const fixed = (name: string, shape: number[], part: "branch" | "head") => ({
    name,
    shape,
    init: "zeros" as const,
    trainable: false,
    part,
  });
  const descriptor = (images: tf.Tensor4D) =>
    multiScaleLbpHistograms(images, scales, LBP_RADII, LBP_CELL);
  const scaleText = scales.length === 1
    ? "the 64x64 faces"
    : `the faces at ${scales.map((s) => `${INPUT / s}x${INPUT / s}`).join(" and ")}`;
  return {
    name: options.name,
    description: `uniform LBP histograms (radii ${
      LBP_RADII.join(", ")
    }; 8x8 cells; ${scaleText}; ${features} values) projected by PCA (${COMPONENTS}, whitened) + LDA (${EMBEDDING}) fitted on the training people; ${
      jointBayesian ? "Joint Bayesian verification" : "cosine verification"
    }`,
    inputSize: INPUT,
    batchSize: 128,
    embeddingSize: EMBEDDING,
    movingAverageMomentum: 0,
    objective: { kind: "lda", components: COMPONENTS },
    verification: jointBayesian ? "learnt" : "cosine",
    params: [
      fixed(LBP_PROJECTION, [features, EMBEDDING], "branch"),
      fixed(LBP_OFFSET, [EMBEDDING], "branch"),
      ...(jointBayesian
        ? [
          fixed(LBP_JB_A, [EMBEDDING, EMBEDDING], "head"),
          fixed(LBP_JB_G, [EMBEDDING, EMBEDDING], "head"),
          fixed(LBP_JB_BIAS, [1], "head"),
        ]
        : []),
    ],
    fitted: {
      descriptor,
      projection: LBP_PROJECTION,
      offset: LBP_OFFSET,
      ...(jointBayesian ? { jointBayesian: { a: LBP_JB_A, g: LBP_JB_G, bias: LBP_JB_BIAS } } : {}),
    },
    embed: (p, images) =>
      tf.tidy(() =>
        tf.add(
          tf.matMul(descriptor(images), p[LBP_PROJECTION] as tf.Tensor2D),
          p[LBP_OFFSET],
        ) as tf.Tensor2D
      ),
    head: jointBayesian
      ? (p, l, r) =>
        jointBayesianLogits(l, r, { a: p[LBP_JB_A], g: p[LBP_JB_G], bias: p[LBP_JB_BIAS] })
      : (_p, l, r) => scaledCosine(l, r, COSINE_LOGIT_SCALE),
    layers: {
      branch(face, prefix = "") {
        const dense = tf.layers.dense({ units: EMBEDDING, name: `${prefix}lbp_projection` });
        const histograms = new LbpHistograms({
          radii: [...LBP_RADII],
          cell: LBP_CELL,
          ...(scales.length === 1 && scales[0] === 1 ? {} : { scales: [...scales] }),
          name: `${prefix}lbp`,
        });
        return {
          output: dense.apply(histograms.apply(face)) as tf.SymbolicTensor,
          weighted: [[dense, [LBP_PROJECTION, LBP_OFFSET]]],
        };
      },
      head: jointBayesian
        ? (left, right, prefix = ""): LayersPart => {
          const score = new JointBayesianScore({ name: `${prefix}joint_bayesian` });
          return {
            output: score.apply([left, right]) as tf.SymbolicTensor,
            weighted: [[score, [LBP_JB_A, LBP_JB_G, LBP_JB_BIAS]]],
          };
        }
        : scaledCosineLayers,
    },
  };
}

/** `lbp_lda`: histograms of the 64x64 faces, cosine verification. */
export const LBP_LDA_MODEL: SiameseModel = lbpModel({
  name: "lbp_lda",
  scales: [1],
  head: "cosine",
});

/**
 * `lbp_jb`: histograms of the faces at 64x64 and 32x32, Joint Bayesian verification (measured
 * on View 1 before it was built: each of the two adds about a point over `lbp_lda`).
 */
export const LBP_JB_MODEL: SiameseModel = lbpModel({
  name: "lbp_jb",
  scales: [1, 2],
  head: "joint-bayesian",
});
