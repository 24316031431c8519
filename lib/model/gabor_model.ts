/**
 * `gabor_jb`, a descriptor model (`descriptor_model.ts`) of Gabor magnitudes
 * (`gabor_magnitudes.ts`: 5 wavelengths x 8 orientations, sampled every 4 pixels, 10,240
 * values) projected by PCA + LDA over the training people, with a
 * Joint Bayesian head. Alone it is a little weaker than `lbp_jb`; its errors differ from LBP's,
 * so the two are meant to be fused (`train --members`). Measured on View 1 before it was built
 * (see the README).
 *
 * @example
 * ```ts
 * import { GABOR_JB_MODEL } from "./gabor_model.ts";
 * GABOR_JB_MODEL.embeddingSize; // 100
 * ```
 * @module
 */
import { FACE_BOXES, type FaceBox } from "../config/defaults.ts";
import { facePlacement } from "./face_crop.ts";
import {
  formatPipelineSpec,
  parsePipelineSpec,
  pipelineModelOptions,
  type PipelineSpec,
} from "./pipeline_spec.ts";
import { GaborMagnitudes } from "./gabor_magnitudes.ts";
import {
  DESCRIPTOR_INPUT,
  descriptorModel,
  type DescriptorModelOptions,
} from "./descriptor_model.ts";
import { gaborFeatureSize, gaborMagnitudes, type GaborOptions } from "./gabor_magnitudes.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** The bank and sampling of `gabor_jb`. */
// Sampling every 4 pixels scored as sampling every 2 and pooling 2x2 on View 1's validation
// people (AUC 0.933 and 0.931 alone, 0.967 both when fused with lbp_jb), for a quarter of the work.
const GABOR: GaborOptions = { scales: 5, orientations: 8, stride: 4, pool: 1 };

/** A Gabor model: `GABOR`'s magnitudes of the faces read from `box` (`descriptor_model.ts`). */
function gaborModel(options: {
  name: string;
  params: string;
  head: DescriptorModelOptions["head"];
  pairMetric?: DescriptorModelOptions["pairMetric"];
  jointBayesianEm?: DescriptorModelOptions["jointBayesianEm"];
  box?: Readonly<FaceBox>;
  frame?: Readonly<FaceBox>;
  mirrorAveraged?: boolean;
  pca?: number;
  lda?: number;
  code?: readonly URL[];
}): SiameseModel {
  return descriptorModel({
    name: options.name,
    code: options.code ?? [new URL(import.meta.url)],
    about:
      `Gabor magnitudes (${GABOR.scales} wavelengths from 4 pixels x ${GABOR.orientations} orientations, every ${GABOR.stride} pixels)`,
    params: options.params,
    ...facePlacement(options.box ?? FACE_BOXES.face100, DESCRIPTOR_INPUT, options.frame),
    features: gaborFeatureSize(DESCRIPTOR_INPUT, GABOR),
    descriptor: (images) => gaborMagnitudes(images, GABOR),
    layer: (name) => new GaborMagnitudes({ ...GABOR, name }),
    head: options.head,
    pairMetric: options.pairMetric,
    jointBayesianEm: options.jointBayesianEm,
    mirrorAveraged: options.mirrorAveraged,
    pca: options.pca,
    lda: options.lda,
  });
}

/** `gabor_jb`: Gabor magnitudes, PCA + LDA, Joint Bayesian verification. */
export const GABOR_JB_MODEL: SiameseModel = gaborPipelineModel(
  parsePipelineSpec("gabor/jb"),
  "gabor",
  "gabor_jb",
);

/** The Gabor model of a composed pipeline (`pipeline_spec.ts`) whose descriptor step is `gabor`. */
export function gaborPipelineModel(
  spec: PipelineSpec,
  params: string,
  name: string = formatPipelineSpec(spec),
): SiameseModel {
  if (spec.descriptor.kind !== "gabor") {
    throw new Error(`gaborPipelineModel: a ${spec.descriptor.kind} pipeline`);
  }
  return gaborModel({
    name,
    params,
    ...pipelineModelOptions(spec, new URL(import.meta.url)),
  });
}
