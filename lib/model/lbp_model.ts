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
import { FACE_BOXES } from "../config/defaults.ts";
import { LbpHistograms } from "./lbp_histograms.ts";
import { DESCRIPTOR_INPUT, descriptorModel } from "./descriptor_model.ts";
import { multiScaleLbpFeatureSize, multiScaleLbpHistograms } from "./lbp_histograms.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** LBP radii of the descriptors. */
const LBP_RADII: readonly number[] = [1, 2];
/** Side of an LBP cell in pixels. */
const LBP_CELL = 8;
const INPUT = DESCRIPTOR_INPUT;

/** An LBP model: histograms of the faces at `scales` (1: as they are, 2: halved). */
function lbpModel(
  name: string,
  scales: readonly number[],
  head: "cosine" | "joint-bayesian",
): SiameseModel {
  const scaleText = scales.length === 1
    ? "the 64x64 faces"
    : `the faces at ${scales.map((s) => `${INPUT / s}x${INPUT / s}`).join(" and ")}`;
  return descriptorModel({
    name,
    code: [new URL(import.meta.url)],
    about: `uniform LBP histograms (radii ${LBP_RADII.join(", ")}; 8x8 cells; ${scaleText})`,
    // Named before other descriptors existed: kept, as checkpoints store parameters by name.
    params: "lbp",
    preparedBox: FACE_BOXES.face100,
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
    head,
  });
}

/** `lbp_lda`: histograms of the 64x64 faces, cosine verification. */
export const LBP_LDA_MODEL: SiameseModel = lbpModel("lbp_lda", [1], "cosine");

/**
 * `lbp_jb`: histograms of the faces at 64x64 and 32x32, Joint Bayesian verification (measured
 * on View 1 before it was built: each of the two adds about a point over `lbp_lda`).
 */
export const LBP_JB_MODEL: SiameseModel = lbpModel("lbp_jb", [1, 2], "joint-bayesian");
