/**
 * `fisher_jb`, a descriptor model (`descriptor_model.ts`) of Fisher vectors of dense SIFT
 * (`fisher_vectors.ts`, after Simonyan et al. 2013): root-SIFT every 2 pixels at three sizes of
 * the face, reduced to 64 values by PCA plus their position, encoded against a mixture of 256
 * Gaussians fitted on training faces (33,792 values); then the same PCA + LDA + Joint Bayesian
 * fit as `lbp_jb` and `gabor_jb`. Measured on View 1 before it was built (see the README), it is
 * the strongest single model here.
 *
 * @example
 * ```ts
 * import { FISHER_JB_MODEL } from "./fisher_model.ts";
 * FISHER_JB_MODEL.fitted!.encoder!.params; // the encoder's parameters, fitted first
 * ```
 * @module
 */
import { fitFisherEncoder } from "../train/fit_fisher_encoder.ts";
import { FisherVectors } from "./custom_layers.ts";
import { descriptorModel } from "./descriptor_model.ts";
import { type DenseSiftOptions, fisherVectors, fisherVectorSize } from "./fisher_vectors.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** Where the SIFT descriptors are computed on the 64x64 faces. */
const SIFT: DenseSiftOptions = { cell: 3, step: 2, scales: [1, 0.75, 0.56] };
/** PCA components of the SIFT descriptors (x and y are added to them). */
const COMPONENTS = 64;
/** Gaussians of the mixture. */
const GAUSSIANS = 256;
/** Expectation-maximisation steps of the mixture's fit. */
const ITERATIONS = 25;
/** Local descriptors the encoder is fitted on. */
const SAMPLED_DESCRIPTORS = 200_000;

const names = {
  siftMean: "fisher/sift_mean",
  siftBasis: "fisher/sift_basis",
  means: "fisher/means",
  variances: "fisher/variances",
  weights: "fisher/weights",
} as const;

/** `fisher_jb`: Fisher vectors of dense SIFT, PCA + LDA, Joint Bayesian verification. */
export const FISHER_JB_MODEL: SiameseModel = descriptorModel({
  name: "fisher_jb",
  about:
    `Fisher vectors of dense root-SIFT (every ${SIFT.step} pixels, ${SIFT.cell}-pixel cells, faces at ${
      SIFT.scales.join(", ")
    } of their size; PCA ${COMPONENTS} + position; ${GAUSSIANS} Gaussians fitted on training faces)`,
  params: "fisher",
  features: fisherVectorSize(GAUSSIANS, COMPONENTS + 2),
  descriptor: (images, p) =>
    fisherVectors(images, {
      siftMean: p[names.siftMean],
      siftBasis: p[names.siftBasis],
      means: p[names.means],
      variances: p[names.variances],
      weights: p[names.weights],
    }, SIFT),
  layer: (name) =>
    new FisherVectors({ ...SIFT, components: COMPONENTS, gaussians: GAUSSIANS, name }),
  encoder: {
    // In the FisherVectors layer's weight order.
    params: [
      { name: names.siftMean, shape: [128] },
      { name: names.siftBasis, shape: [128, COMPONENTS] },
      { name: names.means, shape: [GAUSSIANS, COMPONENTS + 2] },
      { name: names.variances, shape: [GAUSSIANS, COMPONENTS + 2] },
      { name: names.weights, shape: [GAUSSIANS] },
    ],
    async fit(faces, count, seed) {
      const fitted = await fitFisherEncoder(faces, count, {
        ...SIFT,
        components: COMPONENTS,
        gaussians: GAUSSIANS,
        iterations: ITERATIONS,
        descriptors: SAMPLED_DESCRIPTORS,
        seed,
      });
      return new Map(
        Object.entries(names).map(([key, name]) => [name, fitted[key as keyof typeof names]]),
      );
    },
  },
  head: "joint-bayesian",
});
