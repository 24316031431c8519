/**
 * Descriptor models: a fixed classical face descriptor (LBP histograms, Gabor magnitudes) with
 * a learnt linear projection, no neural network. The descriptor is projected by PCA (whitened)
 * then LDA over the training people, fitted in one pass (`lib/train/fit_lda.ts`), and two faces
 * are compared by the cosine of their projections or by a Joint Bayesian log-likelihood ratio
 * fitted on the same people (`joint_bayesian.ts`). It is the family that leads LFW's tables
 * without outside data, and it fits in about a minute on a CPU. `lbp_model.ts` and
 * `gabor_model.ts` make the named models.
 *
 * @example
 * ```ts
 * import { descriptorModel } from "./descriptor_model.ts";
 * const model = descriptorModel({
 *   name: "my_lbp", about: "uniform LBP histograms", params: "lbp", features: 5782,
 *   descriptor: (images) => lbpHistograms(images, [1, 2], 8),
 *   layer: (name) => new LbpHistograms({ radii: [1, 2], cell: 8, name }),
 *   head: "joint-bayesian",
 * });
 * ```
 * @module
 */
import type { ProgressFactory } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import type { FaceBox } from "../config/defaults.ts";
import { cropFaces, FaceCrop, type FaceCropRegion } from "./face_crop.ts";
import { JointBayesianScore } from "./joint_bayesian.ts";
import { jointBayesianLogits } from "./joint_bayesian.ts";
import { COSINE_LOGIT_SCALE, scaledCosine, scaledCosineLayers } from "./scaled_cosine.ts";
import type { LayersPart, PairMetricHead, SiameseModel } from "./siamese_model.ts";

/** Side of the faces the descriptor models read, unless a model says otherwise. */
export const DESCRIPTOR_INPUT = 64;
/** Length of the projected descriptor (LDA components), unless a model says otherwise. */
export const DESCRIPTOR_EMBEDDING = 100;
/** PCA components kept before the LDA, unless a model says otherwise. */
export const DESCRIPTOR_COMPONENTS = 400;

/** How a descriptor model is made. */
export interface DescriptorModelOptions {
  name: string;
  /** The modules that define it (`SiameseModel.code`): the calling model's module. */
  code: readonly URL[];
  /** What the descriptor is, for the model's description. */
  about: string;
  /**
   * The first part of its parameters' names (`<params>/projection`, ...) and of its layers'
   * (`<params>`, `<params>_projection`).
   */
  params: string;
  /** Length of the descriptor. */
  features: number;
  /** Side of the faces the model reads (default {@linkcode DESCRIPTOR_INPUT}). */
  inputSize?: number;
  /**
   * The crop step: the rectangle of those faces the descriptor (and its encoder) reads, as
   * faces of `crop.size` (`face_crop.ts`); without it the descriptor reads the whole faces.
   */
  crop?: FaceCropRegion;
  /** The crop its faces are prepared from by default (`SiameseModel.preparedBox`). */
  preparedBox?: Readonly<FaceBox>;
  /**
   * The descriptor of images [batch, inputSize, inputSize, 1]: [batch, features]
   * (`params`: the model's parameters, the encoder's among them).
   */
  descriptor(images: tf.Tensor4D, params: Record<string, tf.Tensor>): tf.Tensor2D;
  /**
   * The same descriptor as a tfjs layer named `name`, for the export (its weights, if any, are
   * the encoder's parameters in their order).
   */
  layer(name: string): tf.layers.Layer;
  /**
   * A fitted descriptor's parameters (names and shapes; names start with `<params>/`) and their
   * fit on training faces, done before the projection's.
   */
  encoder?: {
    params: { name: string; shape: number[] }[];
    fit(
      faces: (start: number, count: number) => tf.Tensor4D,
      count: number,
      seed: number,
      /** Shows the fit's steps (sampling, iterations). */
      progress?: ProgressFactory,
    ): Promise<Map<string, Float32Array>>;
  };
  /**
   * The head: the cosine of the projections, a Joint Bayesian ratio, or a joint metric learnt on
   * pairs (`pairMetric`), which scores pairs as Joint Bayesian's quadratic form does.
   */
  head: "cosine" | "joint-bayesian" | "pair-metric";
  /** The pair metric's rank and steps (for `head: "pair-metric"`). */
  pairMetric?: PairMetricHead;
  /**
   * EM iterations refining Joint Bayesian's closed-form covariances (head `joint-bayesian`;
   * default 0: the closed form).
   */
  jointBayesianEm?: number;
  /** Fits on mirror-averaged training descriptors (`SiameseModel.objective.mirrorAveraged`). */
  mirrorAveraged?: boolean;
  /** Whitened PCA components kept (default {@linkcode DESCRIPTOR_COMPONENTS}). */
  pca?: number;
  /**
   * LDA directions, the embedding's length (default {@linkcode DESCRIPTOR_EMBEDDING}); 0: no
   * LDA, the embedding is the PCA's components.
   */
  lda?: number;
}

/** A descriptor model (see the module's description). */
export function descriptorModel(options: DescriptorModelOptions): SiameseModel {
  const { features, crop } = options;
  const components = options.pca ?? DESCRIPTOR_COMPONENTS;
  const pcaOnly = options.lda === 0;
  const embedding = pcaOnly ? components : options.lda ?? DESCRIPTOR_EMBEDDING;
  if (options.head === "pair-metric" && !options.pairMetric) {
    throw new Error(`descriptorModel ${options.name}: a pair-metric head needs its rank and steps`);
  }
  const descriptor = crop
    ? (images: tf.Tensor4D, p: Record<string, tf.Tensor>) =>
      tf.tidy(() => options.descriptor(cropFaces(images, crop), p))
    : options.descriptor;
  const encoder = options.encoder && crop ? croppedEncoder(options.encoder, crop) : options.encoder;
  const projection = `${options.params}/projection`;
  const offset = `${options.params}/offset`;
  const [a, g, bias] = ["jb_a", "jb_g", "jb_bias"].map((n) => `${options.params}/${n}`);
  // A pair metric is scored as Joint Bayesian's quadratic form: the same parameters and layer.
  const jointBayesian = options.head !== "cosine";
  const metric = options.head === "pair-metric" ? options.pairMetric : undefined;
  const em = options.head === "joint-bayesian" ? options.jointBayesianEm ?? 0 : 0;
  const fixed = (name: string, shape: number[], part: "branch" | "head") => ({
    name,
    shape,
    init: "zeros" as const,
    trainable: false,
    part,
  });
  return {
    name: options.name,
    description: `${
      crop
        ? `read from the ${crop.width}x${crop.height} crop at (${crop.left}, ${crop.top}) of the faces, resampled to ${crop.size}x${crop.size}: `
        : ""
    }${options.about} (${features} values) projected by PCA (${components}, whitened)${
      pcaOnly ? "" : ` + LDA (${embedding})`
    } fitted on the training people${
      options.mirrorAveraged ? " (each image averaged with its mirror image)" : ""
    }; ${
      metric
        ? `a joint metric and similarity of rank ${metric.rank} learnt on training pairs (${metric.steps} steps)`
        : jointBayesian
        ? `Joint Bayesian verification${em ? ` (covariances refined by ${em} EM iterations)` : ""}`
        : "cosine verification"
    }`,
    inputSize: options.inputSize ?? DESCRIPTOR_INPUT,
    ...(options.preparedBox ? { preparedBox: options.preparedBox } : {}),
    batchSize: 128,
    embeddingSize: embedding,
    movingAverageMomentum: 0,
    objective: {
      kind: "lda",
      components,
      ...(pcaOnly ? { pcaOnly: true } : {}),
      ...(options.mirrorAveraged ? { mirrorAveraged: true } : {}),
    },
    code: options.code,
    verification: jointBayesian ? "learnt" : "cosine",
    params: [
      ...(options.encoder?.params ?? []).map((p) => fixed(p.name, p.shape, "branch")),
      fixed(projection, [features, embedding], "branch"),
      fixed(offset, [embedding], "branch"),
      ...(jointBayesian
        ? [
          fixed(a, [embedding, embedding], "head"),
          fixed(g, [embedding, embedding], "head"),
          fixed(bias, [1], "head"),
        ]
        : []),
    ],
    fitted: {
      descriptor,
      ...(encoder
        ? {
          encoder: {
            params: encoder.params.map((p) => p.name),
            fit: encoder.fit,
          },
        }
        : {}),
      projection,
      offset,
      ...(jointBayesian
        ? {
          jointBayesian: {
            a,
            g,
            bias,
            ...(metric ? { pairMetric: metric } : {}),
            ...(em ? { em } : {}),
          },
        }
        : {}),
    },
    embed: (p, images) =>
      tf.tidy(() =>
        tf.add(
          tf.matMul(descriptor(images, p), p[projection] as tf.Tensor2D),
          p[offset],
        ) as tf.Tensor2D
      ),
    head: jointBayesian
      ? (p, l, r) => jointBayesianLogits(l, r, { a: p[a], g: p[g], bias: p[bias] })
      : (_p, l, r) => scaledCosine(l, r, COSINE_LOGIT_SCALE),
    layers: {
      branch(face, prefix = "") {
        const dense = tf.layers.dense({
          units: embedding,
          name: `${prefix}${options.params}_projection`,
        });
        const described = options.layer(`${prefix}${options.params}`);
        const read = crop
          ? new FaceCrop({ ...crop, name: `${prefix}${options.params}_crop` }).apply(face)
          : face;
        return {
          output: dense.apply(described.apply(read)) as tf.SymbolicTensor,
          weighted: [
            ...(options.encoder
              ? [[described, options.encoder.params.map((p) => p.name)] as [
                tf.layers.Layer,
                string[],
              ]]
              : []),
            [dense, [projection, offset]],
          ],
        };
      },
      head: jointBayesian
        ? (left, right, prefix = ""): LayersPart => {
          const score = new JointBayesianScore({ name: `${prefix}joint_bayesian` });
          return {
            output: score.apply([left, right]) as tf.SymbolicTensor,
            weighted: [[score, [a, g, bias]]],
          };
        }
        : scaledCosineLayers,
    },
  };
}

/** `encoder` fitted on the `crop` of the faces it is given, as the descriptor reads them. */
function croppedEncoder(
  encoder: NonNullable<DescriptorModelOptions["encoder"]>,
  crop: FaceCropRegion,
): NonNullable<DescriptorModelOptions["encoder"]> {
  return {
    ...encoder,
    fit: (faces, count, seed, progress) =>
      encoder.fit(
        (start, n) => {
          const whole = faces(start, n);
          const cropped = cropFaces(whole, crop);
          whole.dispose();
          return cropped;
        },
        count,
        seed,
        progress,
      ),
  };
}
