/**
 * The Fisher vector models, descriptor models (`descriptor_model.ts`) of Fisher vectors of dense
 * SIFT (`fisher_vectors.ts`, after Simonyan et al. 2013): root-SIFT every 2 pixels at three sizes
 * of the face, reduced to 64 values by PCA plus their position, encoded against a mixture of 256
 * Gaussians fitted on training faces (33,792 values); then the same PCA + LDA + Joint Bayesian
 * fit as `lbp_jb` and `gabor_jb`. `fisher_jb` reads the 64x64 faces every model here can share;
 * `fisher100_jb` reads 100x100 faces (`train` prepares them at that size) with cells of 5 pixels
 * instead of 3, so a descriptor covers about the same share of the face, sampled more finely: measured
 * on three View 2 folds (a scratch probe), it ranks pairs better than `fisher_jb` on every fold.
 * Each registered model here is a descriptor pipeline composed by name (`pipeline_spec.ts`) under
 * a short name and parameter names of its own; any other composition is `--model` itself.
 *
 * @example
 * ```ts
 * import { FISHER100_JB_MODEL, FISHER_JB_MODEL } from "./fisher_model.ts";
 * FISHER_JB_MODEL.fitted!.encoder!.params; // the encoder's parameters, fitted first
 * FISHER100_JB_MODEL.inputSize; // 100
 * ```
 * @module
 */
import type { FaceBox } from "../config/defaults.ts";
import { fitFisherEncoder } from "../train/fit_fisher_encoder.ts";
import { descriptorModel, type DescriptorModelOptions } from "./descriptor_model.ts";
import { facePlacement } from "./face_crop.ts";
import {
  formatPipelineSpec,
  parsePipelineSpec,
  pipelineModelOptions,
  type PipelineSpec,
} from "./pipeline_spec.ts";
import {
  type DenseSiftOptions,
  FisherVectors,
  fisherVectors,
  fisherVectorSize,
} from "./fisher_vectors.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** PCA components of the SIFT descriptors (x and y are added to them). */
const COMPONENTS = 64;
/** Expectation-maximisation steps of the mixture's fit. */
const ITERATIONS = 25;
/** Local descriptors the encoder is fitted on. */
const SAMPLED_DESCRIPTORS = 200_000;

/** How a Fisher vector model differs from another. */
export interface FisherModelOptions {
  name: string;
  /** The first part of its parameters' and layers' names. */
  params: string;
  /** Side of the faces it reads. */
  inputSize: number;
  /** Where the SIFT descriptors are computed on those faces. */
  sift: DenseSiftOptions;
  /** Gaussians of the mixture (a Fisher vector has 2 x gaussians x 66 values). */
  gaussians: number;
  /** The crop of LFW's frame it was measured with (`SiameseModel.preparedBox`). */
  box: Readonly<FaceBox>;
  /** Fits on mirror-averaged training descriptors (`DescriptorModelOptions.mirrorAveraged`). */
  mirrorAveraged?: boolean;
  /**
   * Reads `box` as a crop (`face_crop.ts`) of faces prepared 1:1 from this larger square of
   * LFW's frame (its own `preparedBox`), so that models reading other crops of it can share its
   * prepared faces and be fused (`train --members`).
   */
  frame?: Readonly<FaceBox>;
  /** Whitened PCA components and LDA directions (the descriptor models' defaults). */
  pca?: number;
  lda?: number;
  /** The head (default Joint Bayesian). */
  head?: DescriptorModelOptions["head"];
  pairMetric?: DescriptorModelOptions["pairMetric"];
  jointBayesianEm?: DescriptorModelOptions["jointBayesianEm"];
  /** The modules that define it (default: this one). */
  code?: readonly URL[];
}

/** A Fisher vector model, with a Joint Bayesian head unless `head` says otherwise. */
export function fisherModel(options: FisherModelOptions): SiameseModel {
  const { sift, inputSize, gaussians } = options;
  const names = {
    siftMean: `${options.params}/sift_mean`,
    siftBasis: `${options.params}/sift_basis`,
    means: `${options.params}/means`,
    variances: `${options.params}/variances`,
    weights: `${options.params}/weights`,
  } as const;
  return descriptorModel({
    name: options.name,
    code: options.code ?? [new URL(import.meta.url)],
    about:
      `Fisher vectors of dense root-SIFT on ${inputSize}x${inputSize} faces (every ${sift.step} pixels, ${sift.cell}-pixel cells, faces at ${
        sift.scales.join(", ")
      } of their size; PCA ${COMPONENTS} + position; ${gaussians} Gaussians fitted on training faces)`,
    params: options.params,
    ...facePlacement(options.box, inputSize, options.frame),
    features: fisherVectorSize(gaussians, COMPONENTS + 2),
    descriptor: (images, p) =>
      fisherVectors(images, {
        siftMean: p[names.siftMean],
        siftBasis: p[names.siftBasis],
        means: p[names.means],
        variances: p[names.variances],
        weights: p[names.weights],
      }, sift),
    layer: (name) => new FisherVectors({ ...sift, components: COMPONENTS, gaussians, name }),
    encoder: {
      // In the FisherVectors layer's weight order.
      params: [
        { name: names.siftMean, shape: [128] },
        { name: names.siftBasis, shape: [128, COMPONENTS] },
        { name: names.means, shape: [gaussians, COMPONENTS + 2] },
        { name: names.variances, shape: [gaussians, COMPONENTS + 2] },
        { name: names.weights, shape: [gaussians] },
      ],
      async fit(faces, count, seed, progress) {
        const fitted = await fitFisherEncoder(faces, count, {
          ...sift,
          components: COMPONENTS,
          gaussians,
          iterations: ITERATIONS,
          descriptors: SAMPLED_DESCRIPTORS,
          seed,
          progress,
        });
        return new Map(
          Object.entries(names).map(([key, name]) => [name, fitted[key as keyof typeof names]]),
        );
      },
    },
    head: options.head ?? "joint-bayesian",
    pairMetric: options.pairMetric,
    jointBayesianEm: options.jointBayesianEm,
    mirrorAveraged: options.mirrorAveraged,
    pca: options.pca,
    lda: options.lda,
  });
}

/**
 * The Fisher vector model of a composed pipeline (`pipeline_spec.ts`) whose descriptor step is
 * `fisher`, named `name` (by default its written-out steps; its parameters' names start with
 * `params`).
 */
export function fisherPipelineModel(
  spec: PipelineSpec,
  params: string,
  name: string = formatPipelineSpec(spec),
): SiameseModel {
  const d = spec.descriptor;
  if (d.kind !== "fisher") throw new Error(`fisherPipelineModel: a ${d.kind} pipeline`);
  return fisherModel({
    name,
    params,
    inputSize: d.size,
    sift: { cell: d.cell, step: d.step, scales: d.scales },
    gaussians: d.gaussians,
    ...pipelineModelOptions(spec, new URL(import.meta.url)),
  });
}

/** A registered Fisher vector model: the pipeline `text` (`pipeline_spec.ts`) under `name`. */
function registered(name: string, params: string, text: string): SiameseModel {
  return fisherPipelineModel(parsePipelineSpec(text), params, name);
}

/** `fisher_jb`: Fisher vectors of dense SIFT on 64x64 faces, PCA + LDA, Joint Bayesian. */
export const FISHER_JB_MODEL: SiameseModel = registered(
  "fisher_jb",
  "fisher",
  "crop=face100/fisher:size=64,cell=3,gaussians=256",
);

/** `fisher100_jb`: the same on 100x100 faces, with 5-pixel cells. */
export const FISHER100_JB_MODEL: SiameseModel = registered(
  "fisher100_jb",
  "fisher100",
  "crop=face100/fisher:gaussians=256",
);

/**
 * `fisher100_512_jb`: `fisher100_jb` with a mixture of 512 Gaussians (67,584 values a face), read
 * from the wider head crop (hair, ears and chin, 126x150 shrunk to 100x100). On three View 2 folds
 * (a scratch probe, no mirror averaging) 512 Gaussians ranked test pairs better than 256 on each
 * (AUC +0.001 to +0.004); on the ten folds the head crop scored 92.38% against 91.90% for the
 * 100x100 box (AUC higher on 7 of 10 folds).
 */
export const FISHER100_512_JB_MODEL: SiameseModel = registered(
  "fisher100_512_jb",
  "fisher100_512",
  "crop=head/fisher",
);

/**
 * `fisher100_512_mirror_jb`: `fisher100_512_jb` fitted on each training image's Fisher vector
 * averaged with its mirror image's, the embeddings `test` and `compare` score (they average each
 * face's projection with its mirror image's, and the projection is linear).
 */
export const FISHER100_512_MIRROR_JB_MODEL: SiameseModel = registered(
  "fisher100_512_mirror_jb",
  "fisher100_512_mirror",
  "crop=head/fisher/mirror",
);

/**
 * `fisher100_512_headcrop_jb`: `fisher100_512_jb`'s descriptor of the head crop, read as a crop
 * of `face_crop.ts`'s `HEAD_AND_FACE_FRAME` so that it can be fused with `fisher100_512_facecrop_jb`.
 */
export const FISHER100_512_HEADCROP_JB_MODEL: SiameseModel = registered(
  "fisher100_512_headcrop_jb",
  "fisher100_512_headcrop",
  "frame=head_and_face/crop=head/fisher",
);

/**
 * `fisher100_512_facecrop_jb`: the same descriptor of the 100x100 face box (forehead to chin,
 * 1:1), read from `face_crop.ts`'s `HEAD_AND_FACE_FRAME`: the crop `fisher100_512_jb` read before the head
 * crop, whose errors differ from the head crop's (see the lab notebook).
 */
export const FISHER100_512_FACECROP_JB_MODEL: SiameseModel = registered(
  "fisher100_512_facecrop_jb",
  "fisher100_512_facecrop",
  "frame=head_and_face/crop=face100/fisher",
);

/**
 * `fisher100_512_headcrop_mirror_jb`: `fisher100_512_headcrop_jb` fitted on mirror-averaged
 * training descriptors, as `fisher100_512_mirror_jb` is `fisher100_512_jb` so fitted.
 */
export const FISHER100_512_HEADCROP_MIRROR_JB_MODEL: SiameseModel = registered(
  "fisher100_512_headcrop_mirror_jb",
  "fisher100_512_headcrop_mirror",
  "frame=head_and_face/crop=head/fisher/mirror",
);

/** `fisher100_512_facecrop_mirror_jb`: `fisher100_512_facecrop_jb` so fitted. */
export const FISHER100_512_FACECROP_MIRROR_JB_MODEL: SiameseModel = registered(
  "fisher100_512_facecrop_mirror_jb",
  "fisher100_512_facecrop_mirror",
  "frame=head_and_face/crop=face100/fisher/mirror",
);
