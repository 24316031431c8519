/**
 * A trained experiment ready to compare faces: its model, its preprocessing and its decision
 * threshold (the one chosen on its validation set).
 * @module
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type BackendChoice, selectBackend } from "../backend/select_backend.ts";
import { type PrepareParams, TEST_DEFAULTS } from "../config/defaults.ts";
import { loadFaceArray, resizeFaceArray } from "../data/face_array.ts";
import { resampleRect } from "../data/resample.ts";
import { bestThreshold } from "../evaluate/classification_metrics.ts";
import { pairLogits } from "../evaluate/predict_pairs.ts";
import { scorePairs } from "../evaluate/validation_scores.ts";
import { nearChance, rocAuc, rocCurve } from "../evaluate/roc_curve.ts";
import { ModelParams } from "../model/model_params.ts";
import type { ArtifactStore } from "../pipeline/artifact_store.ts";
import { openTrainedExperiment } from "../pipeline/trained_experiment.ts";
import { loadPairSets } from "../pipeline/split_files.ts";
import { TEST_FILES, type TestMetrics } from "../pipeline/test_stage.ts";
import { projectedParams, projectionFromJson } from "../evaluate/embedding_projection.ts";
import { pairColumns } from "../train/pair_batches.ts";
import { notAnObject, readArtifactJson } from "../util/damaged_file.ts";
import { calibrate, type Calibration, fitCalibration } from "./calibration.ts";

/** What the experiment's records say about how it was made and measured. */
export interface ExperimentFacts {
  /** The test stage's metrics.json (absent when not tested). */
  testMetrics?: TestMetrics;
  /** The split's parameters (protocol, seed, pair counts). */
  split?: Record<string, unknown>;
  /** The prepare stage's facts (images folder, images, people). */
  prepared?: Record<string, unknown>;
  /** The training parameters. */
  trainParams?: Record<string, unknown>;
}

/** The calibration of validation `scores`, or undefined where none fits. */
function calibrationOf(scores: ArrayLike<number>, labels: number[]): Calibration | undefined {
  if (new Set(labels).size < 2) return undefined;
  const c = fitCalibration(scores, labels);
  return c.alpha > 0 && Number.isFinite(c.beta) ? c : undefined;
}

/** Compares prepared faces with one experiment's model. */
export class FaceComparer {
  /** The experiment's preprocessing (box, size, grey). */
  readonly prepare: PrepareParams;
  /** Decision threshold on the model's raw same-person probability ({@linkcode compare}'s). */
  readonly threshold: number;
  /** Where the threshold comes from. */
  readonly thresholdSource: string;
  /** Whether embeddings are averaged with the mirror images' (as when the threshold was chosen). */
  readonly flip: boolean;
  /** true when the model scored no better than chance on its validation pairs. */
  readonly nearChance: boolean;
  /**
   * The Platt scaling of the scores fitted on the validation pairs (absent when they cannot be
   * fitted: one kind of pair only, or scores that fall as the same-person rate rises).
   */
  readonly calibration?: Calibration;
  /** The image folder the model's faces were prepared from (absent in older manifests). */
  readonly imagesDir?: string;
  /** What the experiment's records say about it, for the export's model card. */
  readonly about: ExperimentFacts = {};
  readonly #params: ModelParams;

  private constructor(
    params: ModelParams,
    prepare: PrepareParams,
    decision: {
      threshold: number;
      source: string;
      flip: boolean;
      nearChance: boolean;
      calibration?: Calibration;
    },
    imagesDir?: string,
    about: ExperimentFacts = {},
  ) {
    this.calibration = decision.calibration;
    this.about = about;
    this.#params = params;
    this.prepare = prepare;
    this.imagesDir = imagesDir;
    this.threshold = decision.threshold;
    this.thresholdSource = decision.source;
    this.flip = decision.flip;
    this.nearChance = decision.nearChance;
  }

  /** Loads experiment `name` (which must have finished training). */
  static async open(
    store: ArtifactStore,
    name: string,
    options: { backend?: BackendChoice; flip?: boolean } = {},
  ): Promise<FaceComparer> {
    const trained = await openTrainedExperiment(store, name);
    const { record, prepared, model } = trained;
    await selectBackend(options.backend ?? "auto", { log: () => {} });
    const trainParams = trained.params;
    let params = await trained.loadWeights();
    const prepare = prepared.manifest.params as PrepareParams;
    const imagesDir = typeof prepared.manifest.info?.imagesDir === "string"
      ? prepared.manifest.info.imagesDir
      : undefined;
    const test = record.keys.test ? await store.load("test", record.keys.test) : undefined;
    const metrics = test
      ? await readArtifactJson<TestMetrics>(join(test.dir, TEST_FILES.metrics), {
        optional: true,
        problem: notAnObject,
      })
      : undefined;
    // The last evaluation's projection (`test --projection`) is part of how it scores pairs.
    const projectionFile = test ? join(test.dir, TEST_FILES.projection) : undefined;
    const projection = metrics?.projection && projectionFile
      ? await readArtifactJson<Record<string, unknown>>(projectionFile, {
        optional: true,
        problem: notAnObject,
      })
      : undefined;
    if (projection) {
      params = await projectedParams(params, projectionFromJson(projection, projectionFile!));
    }
    const flip = options.flip ?? metrics?.flip ?? TEST_DEFAULTS.flip;
    const val = (await loadPairSets(trained.split.dir)).val;
    const about: ExperimentFacts = {
      testMetrics: metrics,
      split: trained.split.manifest.params as Record<string, unknown>,
      prepared: prepared.manifest.info,
      trainParams: trainParams as unknown as Record<string, unknown>,
    };
    const labels = val.map((p) => (p.same ? 1 : 0));
    const scoreValidation = async () => {
      const faces = await loadFaceArray(prepared.dir);
      return (await scorePairs(params, {
        faces: resizeFaceArray(faces, model.inputSize),
        size: model.inputSize,
        pairs: pairColumns(val),
        seed: trainParams.seed,
      }, { flip, tta: 0 })).probabilities;
    };
    // The test stage's threshold fits only scores made the way compare makes them (results of
    // older versions have a projection but no projection.json: their threshold does not fit).
    if (metrics && (metrics.flip ?? false) === flip && (!metrics.projection || projection)) {
      // Its validation scores (predictions.json) calibrate the probabilities; rescored when
      // absent.
      const stored = await readArtifactJson<{ val?: number[] }>(
        join(test!.dir, TEST_FILES.predictions),
        { optional: true, problem: notAnObject },
      );
      const scores = stored?.val?.length === val.length ? stored.val : await scoreValidation();
      return new FaceComparer(
        params,
        prepare,
        {
          threshold: metrics.threshold,
          source: projection
            ? "validation set (test stage, after its WCCN projection)"
            : "validation set (test stage)",
          flip,
          nearChance: metrics.nearChance ?? false,
          calibration: calibrationOf(scores, labels),
        },
        imagesDir,
        about,
      );
    }
    // Not evaluated yet (or evaluated another way): choose the threshold on validation now.
    const probabilities = await scoreValidation();
    const threshold = bestThreshold(probabilities, labels);
    const positives = labels.filter((y) => y === 1).length;
    return new FaceComparer(
      params,
      prepare,
      {
        threshold,
        source: projection ? "validation set, after the test stage's projection" : "validation set",
        flip,
        nearChance: nearChance(
          rocAuc(rocCurve(probabilities, labels)),
          positives,
          labels.length - positives,
        ),
        calibration: calibrationOf(probabilities, labels),
      },
      imagesDir,
      about,
    );
  }

  /**
   * `probabilities` (from {@linkcode compare}) as calibrated same-person probabilities, by the
   * Platt scaling fitted on the validation pairs (unchanged without a calibration).
   */
  calibrated(probabilities: ArrayLike<number>): Float32Array {
    const c = this.calibration;
    return Float32Array.from(probabilities, (p) => (c ? calibrate(c, p) : p));
  }

  /** The decision threshold on the calibrated scale (the same verdicts as {@linkcode threshold}). */
  get calibratedThreshold(): number {
    return this.calibration ? calibrate(this.calibration, this.threshold) : this.threshold;
  }

  /** The side of the model's input. */
  get inputSize(): number {
    return this.#params.model.inputSize;
  }

  /** The model's parameters (for export). */
  get params(): ModelParams {
    return this.#params;
  }

  /**
   * The model's raw same-person probabilities of pairs of prepared faces (`prepare.size` square,
   * grey), as the exported model gives them; {@linkcode calibrated} makes them calibrated.
   */
  async compare(pairs: readonly [Uint8Array, Uint8Array][]): Promise<Float32Array> {
    const model = this.#params.model;
    const size = model.inputSize;
    const n = size * size;
    const left = new Float32Array(pairs.length * n), right = new Float32Array(pairs.length * n);
    const whole = { left: 0, top: 0, width: this.prepare.size, height: this.prepare.size };
    const toInput = (face: Uint8Array, out: Float32Array, offset: number) => {
      const small = face.length === n ? face : resampleRect(
        { width: this.prepare.size, height: this.prepare.size, channels: 1, pixels: face },
        whole,
        { size, grey: true },
      );
      for (let i = 0; i < n; i++) out[offset + i] = small[i] / 255;
    };
    pairs.forEach(([a, b], k) => {
      toInput(a, left, k * n);
      toInput(b, right, k * n);
    });
    const logits = tf.tidy(() =>
      pairLogits(this.#params, {
        left: tf.tensor4d(left, [pairs.length, size, size, 1]),
        right: tf.tensor4d(right, [pairs.length, size, size, 1]),
      }, { flip: this.flip })
    );
    // Read asynchronously: WebGPU cannot read synchronously in Deno.
    const z = await logits.data();
    logits.dispose();
    return Float32Array.from(z, (v) => 1 / (1 + Math.exp(-v)));
  }

  /** Frees the model. */
  dispose(): void {
    this.#params.dispose();
  }
}
