/**
 * The LBP models (`descriptor_model.ts`): uniform LBP histograms (`lbp_histograms.ts`) projected
 * by PCA + LDA over the training people, compared by the cosine of their projections
 * (`lbp_lda`) or by a Joint Bayesian ratio (`lbp_jb`, which also reads the faces at half size).
 *
 * @example
 * ```ts
 * import { LBP_JB_MODEL } from "./lbp_model.ts";
 * LBP_JB_MODEL.fitted!.jointBayesian; // the names of the parameters its fit fills
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { FACE_BOXES, type FaceBox } from "../config/defaults.ts";
import { facePlacement } from "./face_crop.ts";
import {
  formatPipelineSpec,
  parsePipelineSpec,
  pipelineModelOptions,
  type PipelineSpec,
} from "./pipeline_spec.ts";
import { LbpHistograms } from "./lbp_histograms.ts";
import {
  DESCRIPTOR_INPUT,
  descriptorModel,
  type DescriptorModelOptions,
} from "./descriptor_model.ts";
import { multiScaleLbpFeatureSize, multiScaleLbpHistograms } from "./lbp_histograms.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** LBP radii of the descriptors. */
const LBP_RADII: readonly number[] = [1, 2];
/** Side of an LBP cell in pixels. */
const LBP_CELL = 8;
const INPUT = DESCRIPTOR_INPUT;

/** How an LBP model differs from another. */
interface LbpModelOptions {
  name: string;
  /** Faces at these fractions of the 64x64 faces (1, 2: halved...). */
  scales: readonly number[];
  head: DescriptorModelOptions["head"];
  pairMetric?: DescriptorModelOptions["pairMetric"];
  jointBayesianEm?: DescriptorModelOptions["jointBayesianEm"];
  /** The first part of its parameters' names (default "lbp"). */
  params?: string;
  /** The box its faces are read from (default the 100x100 face box) and its frame, if any. */
  box?: Readonly<FaceBox>;
  frame?: Readonly<FaceBox>;
  mirrorAveraged?: boolean;
  pca?: number;
  lda?: number;
  code?: readonly URL[];
}

/** An LBP model (see the module's description). */
function lbpModel(options: LbpModelOptions): SiameseModel {
  const { scales } = options;
  const scaleText = scales.length === 1 && scales[0] === 1
    ? "the 64x64 faces"
    : `the faces at ${scales.map((s) => `${INPUT / s}x${INPUT / s}`).join(" and ")}`;
  return descriptorModel({
    name: options.name,
    code: options.code ?? [new URL(import.meta.url)],
    about: `uniform LBP histograms (radii ${LBP_RADII.join(", ")}; 8x8 cells; ${scaleText})`,
    // Named before other descriptors existed: kept, as checkpoints store parameters by name.
    params: options.params ?? "lbp",
    ...facePlacement(options.box ?? FACE_BOXES.face100, INPUT, options.frame),
    features: multiScaleLbpFeatureSize(INPUT, scales, LBP_RADII, LBP_CELL),
    descriptor: (images: tf.Tensor4D) =>
      multiScaleLbpHistograms(images, scales, LBP_RADII, LBP_CELL),
    layer: (layerName) =>
      new LbpHistograms({
        radii: [...LBP_RADII],
        cell: LBP_CELL,
        ...(scales.length === 1 && scales[0] === 1 ? {} : { scales: [...scales] }),
        name: layerName,
      }),
    head: options.head,
    pairMetric: options.pairMetric,
    jointBayesianEm: options.jointBayesianEm,
    mirrorAveraged: options.mirrorAveraged,
    pca: options.pca,
    lda: options.lda,
  });
}

/** `lbp_lda`: histograms of the 64x64 faces, cosine verification. */
export const LBP_LDA_MODEL: SiameseModel = lbpPipelineModel(
  parsePipelineSpec("lbp:scales=1/cosine"),
  "lbp",
  "lbp_lda",
);

/**
 * `lbp_jb`: histograms of the faces at 64x64 and 32x32, Joint Bayesian verification (measured
 * on View 1 before it was built: each of the two adds about a point over `lbp_lda`).
 */
export const LBP_JB_MODEL: SiameseModel = lbpPipelineModel(
  parsePipelineSpec("lbp:scales=1_2/jb"),
  "lbp",
  "lbp_jb",
);

/** The LBP model of a composed pipeline (`pipeline_spec.ts`) whose descriptor step is `lbp`. */
export function lbpPipelineModel(
  spec: PipelineSpec,
  params: string,
  name: string = formatPipelineSpec(spec),
): SiameseModel {
  const d = spec.descriptor;
  if (d.kind !== "lbp") throw new Error(`lbpPipelineModel: a ${d.kind} pipeline`);
  return lbpModel({
    name,
    scales: d.scales,
    params,
    ...pipelineModelOptions(spec, new URL(import.meta.url)),
  });
}
