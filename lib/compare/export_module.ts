/**
 * `face_comparer.js`, the small ES module written beside an exported model: it registers the
 * model's custom layers and turns decoded pixels into the model's inputs exactly as this project
 * does. Its functions are this project's own (the resampler, the crop box, the custom layers),
 * copied from their compiled source when the export is written, not a second implementation, so
 * the exported page and third parties cannot drift from `prepare` and `compare`.
 *
 * Use (any JavaScript runtime with TensorFlow.js):
 * ```js
 * import * as tf from "@tensorflow/tfjs";
 * import { loadComparer } from "./face_comparer.js";
 * const comparer = await loadComparer(tf, "model.json");
 * // images: { width, height, channels (1, 3 or 4), pixels: Uint8Array }, decoded upright
 * const p = comparer.probability(imageA, imageB); // same person when p >= comparer.threshold
 * const q = calibrated(p); // a calibrated probability; same person when q >= calibratedThreshold
 * ```
 * @module
 */
import { LFW_FRAME, MIN_FACE_SIDE, scaleCropBox } from "../data/crop_box.ts";
import { faceRegion } from "../data/face_preprocessing.ts";
import * as resample from "../data/resample.ts";
import {
  AbsDifference,
  ColumnSlice,
  FisherVectors,
  GaborMagnitudes,
  JointBayesianScore,
  L2Normalize,
  LbpHistograms,
  ScaledCosine,
  WeightedLogitSum,
  WeightedUnitConcat,
} from "../model/custom_layers.ts";
import { jointBayesianLogits, unitRows } from "../model/joint_bayesian.ts";
import { lbpHistograms, multiScaleLbpHistograms } from "../model/lbp_histograms.ts";
import { gaborBank, gaborMagnitudes } from "../model/gabor_magnitudes.ts";
import {
  encoderInputs,
  fisherVectors,
  localDescriptors,
  logLikelihoodWeights,
  mixturePosteriors,
  splitMoments,
  withSquares,
} from "../model/fisher_vectors.ts";
import type { Preprocessing } from "./export_experiment.ts";
import { calibrate, SCORE_EPS, scoreLogit } from "./calibration.ts";

/** The module's source for an export described by `pre` (its preprocessing.json). */
export function exportModuleSource(pre: Preprocessing): string {
  return `// face_comparer.js: written by face-comparer's \`deno task export\` for experiment ${
    JSON.stringify(pre.experiment)
  }.
// Registers the model's custom layers and prepares faces exactly as the project does; the
// functions below are the project's own, copied from lib/data/resample.ts, lib/data/crop_box.ts,
// lib/data/face_preprocessing.ts, lib/model/lbp_histograms.ts, lib/model/gabor_magnitudes.ts,
// lib/model/fisher_vectors.ts, lib/model/joint_bayesian.ts and lib/model/custom_layers.ts. The
// steps are described in preprocessing.json (also exported here as \`preprocessing\`).

/** preprocessing.json. */
export const preprocessing = ${JSON.stringify(pre, null, 2)};

const LUMA = ${JSON.stringify(resample.LUMA)};
const LFW_FRAME = ${LFW_FRAME};
const SCORE_EPS = ${SCORE_EPS};
const MIN_FACE_SIDE = ${MIN_FACE_SIDE};
class UserError extends Error {}
const tapsCache = new Map();
${resample.resampleRect.toString()}
${resample.RESAMPLE_HELPERS.map((f) => f.toString()).join("\n")}
${scaleCropBox.toString()}
${faceRegion.toString()}
${scoreLogit.toString()}
${calibrate.toString()}

/**
 * The model's score as a calibrated same-person probability (Platt scaling fitted on the
 * experiment's validation pairs, preprocessing.calibration), or the score itself when none was
 * fitted. Decide at \`calibratedThreshold\`.
 */
export function calibrated(score) {
  return preprocessing.calibration ? calibrate(preprocessing.calibration, score) : score;
}

/** The decision threshold on the calibrated scale (the same verdicts as \`preprocessing.threshold\` on the score). */
export const calibratedThreshold = preprocessing.calibration?.threshold ?? preprocessing.threshold;

/**
 * An upright decoded image ({ width, height, channels: 1, 3 or 4, pixels }) as the prepared face
 * (faceSize x faceSize grey bytes): the LFWcrop box of its largest centred square, or \`box\`
 * ([left, top, right, bottom] in pixels, right and bottom exclusive).
 */
export function prepareFace(image, box) {
  const region = faceRegion(image, preprocessing, box);
  return resampleRect(image, region, { size: preprocessing.faceSize, grey: preprocessing.grey });
}

/** A prepared face as the model's input values (inputSize x inputSize, divided by scale). */
export function modelInput(face) {
  const size = preprocessing.faceSize, n = preprocessing.inputSize;
  const small = size === n
    ? face
    : resampleRect({ width: size, height: size, channels: 1, pixels: face },
      { left: 0, top: 0, width: size, height: size }, { size: n, grey: true });
  return Float32Array.from(small, (v) => v / preprocessing.scale);
}

let registered = false;
/** Registers the custom layers with \`tf\` (once). */
export function registerLayers(tf) {
  if (registered) return;
  ${AbsDifference.toString().replace(/\n/g, "\n  ")}
  ${ScaledCosine.toString().replace(/\n/g, "\n  ")}
  ${L2Normalize.toString().replace(/\n/g, "\n  ")}
  ${lbpHistograms.toString().replace(/\n/g, "\n  ")}
  ${multiScaleLbpHistograms.toString().replace(/\n/g, "\n  ")}
  ${LbpHistograms.toString().replace(/\n/g, "\n  ")}
  ${gaborBank.toString().replace(/\n/g, "\n  ")}
  ${gaborMagnitudes.toString().replace(/\n/g, "\n  ")}
  ${GaborMagnitudes.toString().replace(/\n/g, "\n  ")}
  ${localDescriptors.toString().replace(/\n/g, "\n  ")}
  ${encoderInputs.toString().replace(/\n/g, "\n  ")}
  ${withSquares.toString().replace(/\n/g, "\n  ")}
  ${logLikelihoodWeights.toString().replace(/\n/g, "\n  ")}
  ${mixturePosteriors.toString().replace(/\n/g, "\n  ")}
  ${splitMoments.toString().replace(/\n/g, "\n  ")}
  ${fisherVectors.toString().replace(/\n/g, "\n  ")}
  ${FisherVectors.toString().replace(/\n/g, "\n  ")}
  ${WeightedUnitConcat.toString().replace(/\n/g, "\n  ")}
  ${unitRows.toString().replace(/\n/g, "\n  ")}
  ${jointBayesianLogits.toString().replace(/\n/g, "\n  ")}
  ${JointBayesianScore.toString().replace(/\n/g, "\n  ")}
  ${ColumnSlice.toString().replace(/\n/g, "\n  ")}
  ${WeightedLogitSum.toString().replace(/\n/g, "\n  ")}
  tf.serialization.registerClass(AbsDifference);
  tf.serialization.registerClass(ScaledCosine);
  tf.serialization.registerClass(L2Normalize);
  tf.serialization.registerClass(LbpHistograms);
  tf.serialization.registerClass(GaborMagnitudes);
  tf.serialization.registerClass(FisherVectors);
  tf.serialization.registerClass(WeightedUnitConcat);
  tf.serialization.registerClass(JointBayesianScore);
  tf.serialization.registerClass(ColumnSlice);
  tf.serialization.registerClass(WeightedLogitSum);
  registered = true;
}

/**
 * Loads the exported model (\`modelUrl\`: model.json, or an IOHandler) and returns a comparer:
 * \`probability(a, b)\` of two upright decoded images, decided at \`threshold\`.
 */
export async function loadComparer(tf, modelUrl) {
  registerLayers(tf);
  const model = await tf.loadLayersModel(modelUrl);
  const n = preprocessing.inputSize;
  return {
    threshold: preprocessing.threshold,
    model,
    probability(a, b, box) {
      return tf.tidy(() => {
        const input = (image) => tf.tensor4d(modelInput(prepareFace(image, box)), [1, n, n, 1]);
        return model.predict([input(a), input(b)]).dataSync()[0];
      });
    },
  };
}
`;
}
