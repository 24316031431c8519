/**
 * `deno task export`: a trained experiment's model in TensorFlow.js layers format, with its
 * preprocessing and threshold, in a folder of the user's choice.
 * @module
 */
import { join } from "node:path";
import type { BackendChoice } from "../backend/select_backend.ts";
import type { ArtifactStore } from "../pipeline/artifact_store.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { FaceComparer } from "./face_comparer.ts";
import { exportLayersModel, serializeLayersModel } from "./export_layers_model.ts";
import { buildComparePage } from "./browser_page.ts";
import { exportModuleSource } from "./export_module.ts";
import { type PreprocessingSpec, preprocessingSpec } from "../data/face_preprocessing.ts";
import { type CanonicalLandmarks, canonicalLandmarksFor } from "../config/canonical_landmarks.ts";
import {
  DEFAULT_MIN_SCORE,
  DETECTOR_MODEL_DIR,
  DETECTOR_PACKAGE,
  DETECTOR_WEIGHTS,
} from "./face_detector.ts";
import { modelCard } from "./model_card.ts";

/** The files an export writes besides model_card.md, whose sizes the card lists. */
export const EXPORT_FILES = [
  "model.json",
  "weights.bin",
  "preprocessing.json",
  "face_comparer.js",
  "compare.html",
] as const;

/**
 * `preprocessing.json`: how to turn a photo into the model's inputs (the steps of
 * `lib/data/face_preprocessing.ts`, in numbers and words), and how to decide.
 */
export interface Preprocessing extends PreprocessingSpec {
  experiment: string;
  model: string;
  /** Same person when the output probability is >= threshold. */
  threshold: number;
  thresholdSource: string;
  /** true when the model scored no better than chance on its validation pairs. */
  nearChance: boolean;
  /**
   * The calibration of the score on the validation pairs (Platt scaling): the calibrated
   * probability is sigmoid(alpha * logit(score) + beta); `threshold` is the decision threshold on
   * that scale. Absent when none could be fitted.
   */
  calibration?: {
    alpha: number;
    beta: number;
    pairs: number;
    eceBefore: number;
    eceAfter: number;
    threshold: number;
  };
  /** How `compare` finds faces in photos: the detector and the canonical landmark positions. */
  faces: { detector: string; minScore: number; canonical: CanonicalLandmarks };
}

/**
 * Writes model.json, weights.bin, preprocessing.json, face_comparer.js (the ES module that
 * registers the custom layers and prepares faces as the project does), the standalone
 * comparison page compare.html and model_card.md for experiment `name` into `outDir`; returns
 * preprocessing.json's contents and each file's size.
 */
export async function exportExperiment(
  store: ArtifactStore,
  name: string,
  options: { outDir: string; backend?: BackendChoice },
): Promise<Preprocessing & { sizes: Record<string, number> }> {
  // The exported layers model scores the faces as they are (no mirror averaging), so its
  // threshold is the one chosen on validation for that way of scoring.
  const comparer = await FaceComparer.open(store, name, { backend: options.backend, flip: false });
  try {
    const files = await serializeLayersModel(exportLayersModel(comparer.params));
    const preprocessing: Preprocessing = {
      experiment: name,
      model: comparer.params.model.name,
      ...preprocessingSpec(comparer.prepare, comparer.params.model.inputSize),
      threshold: comparer.threshold,
      thresholdSource: comparer.thresholdSource,
      nearChance: comparer.nearChance,
      ...(comparer.calibration
        ? {
          calibration: {
            alpha: comparer.calibration.alpha,
            beta: comparer.calibration.beta,
            pairs: comparer.calibration.pairs,
            eceBefore: comparer.calibration.eceBefore,
            eceAfter: comparer.calibration.eceAfter,
            threshold: comparer.calibratedThreshold,
          },
        }
        : {}),
      faces: {
        detector: `${DETECTOR_PACKAGE} (SSD MobileNet v1 and 68-point landmarks)`,
        minScore: DEFAULT_MIN_SCORE,
        canonical: canonicalLandmarksFor(comparer.imagesDir),
      },
    };
    await writeFileAtomic(join(options.outDir, "weights.bin"), files["weights.bin"]);
    await writeFileAtomic(
      join(options.outDir, "model.json"),
      new TextEncoder().encode(files["model.json"]),
    );
    await writeJsonAtomic(join(options.outDir, "preprocessing.json"), preprocessing);
    await writeFileAtomic(
      join(options.outDir, "face_comparer.js"),
      new TextEncoder().encode(exportModuleSource(preprocessing)),
    );
    // The detector's weights and licence, for face_comparer.js's loadDetector.
    await Deno.mkdir(join(options.outDir, "detector"), { recursive: true });
    for (const name of [DETECTOR_WEIGHTS.ssd, DETECTOR_WEIGHTS.landmarks]) {
      for (const file of [`${name}-weights_manifest.json`, `${name}.bin`]) {
        await Deno.copyFile(
          new URL(file, DETECTOR_MODEL_DIR),
          join(options.outDir, "detector", file),
        );
      }
    }
    await Deno.copyFile(
      new URL("../LICENSE", DETECTOR_MODEL_DIR),
      join(options.outDir, "detector", "LICENSE-face-api"),
    );
    const page = new TextEncoder().encode(await buildComparePage(files, preprocessing));
    await writeFileAtomic(join(options.outDir, "compare.html"), page);
    const sizes: Record<string, number> = {};
    for (const name of EXPORT_FILES) {
      sizes[name] = (await Deno.stat(join(options.outDir, name))).size;
    }
    await writeFileAtomic(
      join(options.outDir, "model_card.md"),
      new TextEncoder().encode(modelCard(preprocessing, comparer.about, sizes)),
    );
    return { ...preprocessing, sizes };
  } finally {
    comparer.dispose();
  }
}
