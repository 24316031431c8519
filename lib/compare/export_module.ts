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
 * // Photos of any framing, as `compare` reads them (face detection and alignment):
 * import * as faceapi from "@vladmandic/face-api"; // 1.7.15, on the same tf
 * const detector = await loadDetector(tf, faceapi, "detector/");
 * const { probability, same, a, b } = await comparer.compareFaces(detector, imageA, imageB);
 * ```
 * @module
 */
import { LFW_FRAME, MIN_FACE_SIDE, scaleCropBox } from "../data/crop_box.ts";
import { faceRegion } from "../data/face_preprocessing.ts";
import * as resample from "../data/resample.ts";
import { CUSTOM_LAYERS } from "../model/custom_layers.ts";
import { jointBayesianLogits, unitRows } from "../model/joint_bayesian.ts";
import { lbpHistograms, multiScaleLbpHistograms } from "../model/lbp_histograms.ts";
import { gaborBank, gaborMagnitudes } from "../model/gabor_magnitudes.ts";
import {
  encoderInputs,
  fisherVectors,
  localDescriptors,
  logLikelihoodWeights,
  mixtureMoments,
  mixtureMomentsOps,
  mixturePosteriors,
  rootSift,
  rootSiftOps,
  splitMoments,
  withSquares,
} from "../model/fisher_vectors.ts";
import { cropFaces, resampleMatrix } from "../model/face_crop.ts";
import { MIXTURE_MOMENTS_KERNEL, ROOT_SIFT_KERNEL } from "../backend/kernel_names.ts";
import type { Preprocessing } from "./export_experiment.ts";
import { calibrate, SCORE_EPS, scoreLogit } from "./calibration.ts";
import {
  alignFace,
  applySimilarity,
  fitSimilarity,
  invertSimilarity,
  MAX_SUPERSAMPLE,
} from "../data/face_alignment.ts";
import {
  DETECT_HELPERS,
  DETECT_MAX_SIDE,
  detectFaces,
  DETECTOR_WEIGHTS,
  PAD_SHARES,
  SAME_FACE_IOU,
} from "./face_detector.ts";

/** The module's source for an export described by `pre` (its preprocessing.json). */
export function exportModuleSource(pre: Preprocessing): string {
  return `// face_comparer.js: written by face-comparer's \`deno task export\` for experiment ${
    JSON.stringify(pre.experiment)
  }.
// Registers the model's custom layers and prepares faces exactly as the project does; the
// functions below are the project's own, copied from lib/data/resample.ts, lib/data/crop_box.ts,
// lib/data/face_preprocessing.ts, lib/model/lbp_histograms.ts, lib/model/gabor_magnitudes.ts,
// lib/model/fisher_vectors.ts, lib/model/face_crop.ts, lib/model/joint_bayesian.ts and
// lib/model/basic_layers.ts: the layer classes of lib/model/custom_layers.ts's list. The steps are described in preprocessing.json (also exported here as \`preprocessing\`).

/** preprocessing.json. */
export const preprocessing = ${JSON.stringify(pre, null, 2)};

const LUMA = ${JSON.stringify(resample.LUMA)};
const LFW_FRAME = ${LFW_FRAME};
const SCORE_EPS = ${SCORE_EPS};
// Optional kernels the project's native library adds to its wasm backend; a browser has none,
// so the tfjs operations beside them run.
const ROOT_SIFT_KERNEL = ${JSON.stringify(ROOT_SIFT_KERNEL)};
const MIXTURE_MOMENTS_KERNEL = ${JSON.stringify(MIXTURE_MOMENTS_KERNEL)};
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

const DETECT_MAX_SIDE = ${DETECT_MAX_SIDE};
const PAD_SHARES = ${JSON.stringify(PAD_SHARES)};
const SAME_FACE_IOU = ${SAME_FACE_IOU};
const MAX_SUPERSAMPLE = ${MAX_SUPERSAMPLE};
${fitSimilarity.toString()}
${applySimilarity.toString()}
${invertSimilarity.toString()}
${alignFace.toString()}

/** face-api's detection as \`compare\` runs it (lib/compare/face_detector.ts), bound to \`tf\`. */
function detection(tf) {
  ${DETECT_HELPERS.map((f) => f.toString().replace(/\n/g, "\n  ")).join("\n  ")}
  ${detectFaces.toString().replace(/\n/g, "\n  ")}
  return detectFaces;
}

/** The weight files of the detector's nets (in this export's detector/ folder). */
export const DETECTOR_WEIGHTS = ${
    JSON.stringify({ ssd: DETECTOR_WEIGHTS.ssd, landmarks: DETECTOR_WEIGHTS.landmarks })
  };

/**
 * Loads face-api's SSD MobileNet v1 detector and 68-point landmark net (\`faceapi\`: the
 * @vladmandic/face-api module, on the same \`tf\`) as \`compare\` uses them. \`weights\`: the URL
 * of this export's detector/ folder (absolute outside a browser), or a function (name) => Promise<{ manifest, data }> (the
 * weights manifest and the .bin's ArrayBuffer).
 */
export async function loadDetector(tf, faceapi, weights = "detector/") {
  const read = typeof weights === "function" ? weights : async (name) => {
    // Relative to the page in a browser; elsewhere give an absolute URL, or a function.
    const base = new URL(weights, globalThis.location?.href);
    const manifest = await (await fetch(new URL(name + "-weights_manifest.json", base))).json();
    const data = await (await fetch(new URL(name + ".bin", base))).arrayBuffer();
    return { manifest, data };
  };
  const nets = [
    [faceapi.nets.ssdMobilenetv1, DETECTOR_WEIGHTS.ssd],
    [faceapi.nets.faceLandmark68Net, DETECTOR_WEIGHTS.landmarks],
  ];
  for (const [net, name] of nets) {
    const { manifest, data } = await read(name);
    net.loadFromWeightMap(tf.io.decodeWeights(data, manifest.flatMap((group) => group.weights)));
  }
  const detect = detection(tf);
  const minScore = preprocessing.faces.minScore;
  return { minScore, detect: (image) => detect(faceapi, image, { kind: "ssd", minScore }) };
}

/**
 * The face of an upright decoded image as \`compare\` reads it: detected (the largest, or the
 * \`faceIndex\`-th, largest first), its landmarks aligned to the canonical ones of the training
 * frame, the model's box read through that alignment. Throws when no face is found: such an
 * image must not be compared.
 */
export async function readFace(detector, image, faceIndex = 1) {
  const faces = await detector.detect(image);
  if (faces.length === 0) {
    throw new Error("no face found (detector score below " + detector.minScore + ")");
  }
  if (faceIndex > faces.length) {
    throw new Error("face " + faceIndex + " asked for, but " + faces.length + " found");
  }
  const found = faces[faceIndex - 1];
  const aligned = alignFace(image, found.landmarks, preprocessing.faces.canonical.points, {
    box: preprocessing.box,
    size: preprocessing.faceSize,
    grey: preprocessing.grey,
  });
  return {
    face: aligned.face,
    score: found.score,
    faces: faces.length,
    chosen: faceIndex,
    region: {
      x: aligned.centre[0],
      y: aligned.centre[1],
      width: aligned.width,
      height: aligned.height,
      rotation: aligned.rotation,
    },
  };
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
  ${lbpHistograms.toString().replace(/\n/g, "\n  ")}
  ${multiScaleLbpHistograms.toString().replace(/\n/g, "\n  ")}
  ${gaborBank.toString().replace(/\n/g, "\n  ")}
  ${gaborMagnitudes.toString().replace(/\n/g, "\n  ")}
  ${localDescriptors.toString().replace(/\n/g, "\n  ")}
  ${rootSift.toString().replace(/\n/g, "\n  ")}
  ${rootSiftOps.toString().replace(/\n/g, "\n  ")}
  ${encoderInputs.toString().replace(/\n/g, "\n  ")}
  ${withSquares.toString().replace(/\n/g, "\n  ")}
  ${logLikelihoodWeights.toString().replace(/\n/g, "\n  ")}
  ${mixturePosteriors.toString().replace(/\n/g, "\n  ")}
  ${splitMoments.toString().replace(/\n/g, "\n  ")}
  ${mixtureMoments.toString().replace(/\n/g, "\n  ")}
  ${mixtureMomentsOps.toString().replace(/\n/g, "\n  ")}
  ${fisherVectors.toString().replace(/\n/g, "\n  ")}
  ${unitRows.toString().replace(/\n/g, "\n  ")}
  ${jointBayesianLogits.toString().replace(/\n/g, "\n  ")}
  ${resampleMatrix.toString().replace(/\n/g, "\n  ")}
  ${cropFaces.toString().replace(/\n/g, "\n  ")}
  ${CUSTOM_LAYERS.map((layer) => layer.toString().replace(/\n/g, "\n  ")).join("\n  ")}
  for (const layer of [${CUSTOM_LAYERS.map((layer) => layer.name).join(", ")}]) {
    tf.serialization.registerClass(layer);
  }
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
    /**
     * Detects and aligns the face in each upright decoded image (\`detector\` from loadDetector)
     * and compares them as \`compare\` does: { probability (calibrated), score (the model's),
     * same, a, b (each face as readFace gives it) }. Throws when an image has no face.
     */
    async compareFaces(detector, a, b) {
      const fa = await readFace(detector, a), fb = await readFace(detector, b);
      const score = tf.tidy(() => {
        const input = (face) => tf.tensor4d(modelInput(face), [1, n, n, 1]);
        return model.predict([input(fa.face), input(fb.face)]).dataSync()[0];
      });
      return { probability: calibrated(score), score, same: score >= preprocessing.threshold, a: fa, b: fb };
    },
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
