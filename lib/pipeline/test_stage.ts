/**
 * The `test` stage: a trained experiment in; per set (training sample, validation, test) the
 * threshold metrics at the validation-chosen threshold and at 0.5, the ROC curve, AUC, equal
 * error rate and TAR at 1% and 0.1% FAR, the predictions, and galleries of the most confident
 * errors out.
 * @module
 */
import { Progress } from "../util/progress.ts";
import { join } from "node:path";
import { type BackendChoice, selectBackend } from "../backend/select_backend.ts";
import type { TestParams } from "../config/defaults.ts";
import { type FaceArray, loadFaceArray, resizeFaceArray } from "../data/face_array.ts";
import type { Pair } from "../data/sample_pairs.ts";
import {
  bestThreshold,
  type ClassificationMetrics,
  classificationMetrics,
} from "../evaluate/classification_metrics.ts";
import { findErrors, renderPairGrid } from "../evaluate/error_gallery.ts";
import { reusableValidation, scorePairs } from "../evaluate/validation_scores.ts";
import { pairPredictions } from "../evaluate/predict_pairs.ts";
import { scoredByDescriptors, scorePairsByDescriptors } from "../evaluate/descriptor_scores.ts";
import { projectedParams, projectionToJson } from "../evaluate/embedding_projection.ts";
import {
  equalErrorRate,
  nearChance,
  negativeCount,
  rocAuc,
  rocCurve,
  type RocPoint,
  tarAtFar,
} from "../evaluate/roc_curve.ts";
import { pairColumns } from "../train/pair_batches.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import { ExperimentIndex } from "./experiments.ts";
import { openTrainedExperiment, type TrainedExperiment } from "./trained_experiment.ts";
import type { ModelParams } from "../model/model_params.ts";
import { loadPairSets } from "./split_files.ts";
import { checkProjection, fitProjection } from "./test_projection.ts";
import { stage, stageCode, TEST_FILES } from "./stages.ts";

/** The code of the stage, as declared; a run's is `stageCode("test", [model])`. */
export const TEST_CODE = stage("test").code;

/** File names inside a test artifact. */
export { TEST_FILES };

/** The metrics of one set. */
export interface SetMetrics {
  pairs: number;
  /** At the threshold chosen on the validation set. */
  atThreshold: ClassificationMetrics;
  /** At 0.5. */
  atHalf: ClassificationMetrics;
  auc: number;
  eer: number;
  /** TAR at 1% FAR; null when the set has fewer than 100 different-person pairs. */
  tarAtFar1: number | null;
  /** TAR at 0.1% FAR; null when the set has fewer than 1,000 different-person pairs. */
  tarAtFar01: number | null;
  /** Mean binary cross-entropy. */
  loss: number;
}

/** `metrics.json`. */
export interface TestMetrics {
  experiment: string;
  threshold: number;
  tta: number;
  /** Whether embeddings were averaged with the mirror images' (absent in older results: no). */
  flip?: boolean;
  /** Epochs the evaluated checkpoint had trained. */
  epochs?: number;
  /** true when the run had not finished (its last checkpoint was evaluated). */
  unfinished?: boolean;
  /** true when the validation AUC is within noise of 0.5: the model is no better than chance. */
  nearChance?: boolean;
  /** The set the error galleries come from. */
  gallerySet: string;
  sets: Record<string, SetMetrics>;
  /** The learnt projection the scores went through (`--projection`), if any. */
  projection?: { method: string; lambda: number; images: number; people: number };
}

/** Options of {@linkcode testExperiment}. */
export interface TestOptions {
  name: string;
  params: TestParams;
  backend: BackendChoice;
  force?: boolean;
  log?: (line: string) => void;
}

/** Evaluates experiment `options.name` (cached like every stage). */
export async function testExperiment(
  store: ArtifactStore,
  options: TestOptions,
): Promise<Artifact> {
  const log = options.log ?? console.log;
  const trained = await openTrainedExperiment(store, options.name, { allowUnfinished: true });
  const { record, prepared, split } = trained;
  checkProjection(trained.model, options.params);
  if (trained.unfinishedEpochs !== undefined) {
    log(
      `test: ${options.name} is unfinished: evaluating its checkpoint after epoch ${trained.unfinishedEpochs} of ${trained.params.epochs}`,
    );
  }
  const { artifact } = await store.ensure(
    {
      stage: "test",
      code: stageCode("test", [trained.model]),
      params: options.params,
      inputs: { train: trained.key, split: split.key, faces: prepared.key },
    },
    (dir) => evaluateInto(dir, trained, options, log),
    { force: options.force },
  );
  // The newest record of the run that was tested gets the result (a training that goes on
  // meanwhile keeps it; a run renamed or replaced meanwhile gets it under its new name).
  await new ExperimentIndex(store.root).updateRun(
    options.name,
    record.keys.train,
    (current) =>
      current.keys.test === artifact.key
        ? undefined
        : { ...current, keys: { ...current.keys, test: artifact.key } },
  );
  return artifact;
}

/** The pairs of each set a test scores: validation, test, and the first training pairs. */
type PairSets = Record<string, Pair[]>;

/**
 * Scores `trained`'s sets into `dir` (after the learnt projection when asked) and writes the
 * metrics, curves, predictions and galleries; returns the manifest's summary.
 */
async function evaluateInto(
  dir: string,
  trained: TrainedExperiment,
  options: TestOptions,
  log: (line: string) => void,
): Promise<Record<string, unknown>> {
  await selectBackend(options.backend, { log });
  let params = await trained.loadWeights();
  const faces = await loadFaceArray(trained.prepared.dir);
  const small = resizeFaceArray(faces, trained.model.inputSize);
  const all = await loadPairSets(trained.split.dir);
  const sets: PairSets = {
    val: all.val,
    test: all.test,
    train: all.train.slice(0, options.params.trainEvalPairs),
  };
  const projection = options.params.projection === "wccn"
    ? await fitProjection(trained, params, small, faces.entries, options.params, log)
    : undefined;
  if (projection) {
    // Scored through the model's head after the projection, as compare and export score.
    params = await projectedParams(params, projection);
    await writeJsonAtomic(join(dir, TEST_FILES.projection), projectionToJson(projection));
  }
  const scored: Record<string, SetScores> = {};
  try {
    for (const [name, pairs] of Object.entries(sets)) {
      if (pairs.length === 0) continue;
      // A fit's own scores of the validation pairs with this scoring, when it stored them.
      const reuse = name === "val" && !projection;
      scored[name] = await scoreSet(trained, params, small, pairs, {
        experiment: options.name,
        set: name,
        scoring: { tta: options.params.tta, flip: options.params.flip },
        reuse,
        log,
      });
    }
  } finally {
    params.dispose();
  }
  const { metrics, curves } = testMetrics(trained, options, sets, scored, projection);
  await writeTestFiles(dir, metrics, curves, sets, scored, {
    faces,
    galleryPairs: options.params.galleryPairs,
  });
  return {
    experiment: options.name,
    threshold: metrics.threshold,
    accuracy: Object.fromEntries(
      Object.entries(metrics.sets).map(([k, m]) => [k, m.atThreshold.accuracy]),
    ),
  };
}

/** One set's pair probabilities and mean loss. */
interface SetScores {
  probabilities: Float32Array;
  loss: number;
}

/**
 * The scores of set `job.set`'s `pairs`: stored by the fit (`reuse`, when they are these pairs and
 * this scoring), by a worker per core for a fitted descriptor without TTA, else by the model.
 * A model giving non-finite scores (diverged weights) is a UserError.
 */
async function scoreSet(
  trained: TrainedExperiment,
  params: ModelParams,
  small: Uint8Array,
  pairs: Pair[],
  job: {
    experiment: string;
    set: string;
    scoring: { tta: number; flip: boolean };
    reuse: boolean;
    log: (line: string) => void;
  },
): Promise<SetScores> {
  const { set: name, scoring, log } = job;
  const started = performance.now();
  const images = new Set(pairs.flatMap((p) => [p.a, p.b])).size;
  const columns = pairColumns(pairs);
  const stored = job.reuse
    ? reusableValidation(await trained.loadMeta(), columns, scoring)
    : undefined;
  const progress = new Progress(`test: ${name}: embedding faces`, images, {
    unit: "faces",
    summary: false,
  });
  const input = {
    faces: small,
    size: trained.model.inputSize,
    pairs: columns,
    seed: trained.params.seed,
  };
  const p = stored
    ? pairPredictions(stored, columns.same)
    : scoring.tta === 0 && scoredByDescriptors(params)
    ? await scorePairsByDescriptors(params, input, scoring.flip, {
      workers: navigator.hardwareConcurrency || 1,
      progress,
    })
    : await scorePairs(params, input, scoring, progress);
  progress.finish();
  const broken = p.probabilities.filter((x) => !Number.isFinite(x)).length;
  if (broken > 0) {
    throw new UserError(
      `experiment "${job.experiment}": its model gives non-finite scores for ${broken} of ${pairs.length} ${name} pairs (its weights diverged); retrain it, e.g. with a lower --lr`,
    );
  }
  log(
    stored
      ? `test: ${name}: ${pairs.length} pairs: the scores the fit stored (the same weights and scoring)`
      : `test: ${name}: ${pairs.length} pairs in ${
        ((performance.now() - started) / 1000).toFixed(1)
      }s`,
  );
  return { probabilities: p.probabilities, loss: p.loss };
}

/** Same-person labels (1) of `pairs`. */
function labels(pairs: Pair[]): number[] {
  return pairs.map((p) => (p.same ? 1 : 0));
}

/**
 * The metrics of every scored set at the threshold chosen on validation and at 0.5, with their
 * ROC curves.
 */
function testMetrics(
  trained: TrainedExperiment,
  options: TestOptions,
  sets: PairSets,
  scored: Record<string, SetScores>,
  projection: Awaited<ReturnType<typeof fitProjection>> | undefined,
): { metrics: TestMetrics; curves: Record<string, RocPoint[]> } {
  const threshold = bestThreshold(scored.val.probabilities, labels(sets.val));
  const metrics: TestMetrics = {
    experiment: options.name,
    threshold,
    tta: options.params.tta,
    flip: options.params.flip,
    epochs: trained.unfinishedEpochs ?? trained.params.epochs,
    unfinished: trained.unfinishedEpochs !== undefined,
    gallerySet: scored.test ? "test" : "val",
    sets: {},
    ...(projection
      ? {
        projection: {
          method: projection.method,
          lambda: projection.lambda,
          images: projection.images,
          people: projection.people,
        },
      }
      : {}),
  };
  const curves: Record<string, RocPoint[]> = {};
  for (const [name, { probabilities: scores, loss }] of Object.entries(scored)) {
    const y = labels(sets[name]);
    const curve = rocCurve(scores, y);
    curves[name] = curve;
    metrics.sets[name] = {
      pairs: scores.length,
      atThreshold: classificationMetrics(scores, y, { threshold: threshold }),
      atHalf: classificationMetrics(scores, y, { threshold: 0.5 }),
      auc: rocAuc(curve),
      eer: equalErrorRate(curve),
      tarAtFar1: tarAtFar(curve, 0.01, negativeCount(y)),
      tarAtFar01: tarAtFar(curve, 0.001, negativeCount(y)),
      loss,
    };
  }
  const valLabels = labels(sets.val);
  const positives = valLabels.filter((y) => y === 1).length;
  metrics.nearChance = nearChance(metrics.sets.val.auc, positives, valLabels.length - positives);
  return { metrics, curves };
}

/**
 * Writes the test artifact's files into `dir`: the galleries of the most confident errors of
 * the gallery set (at most `galleryPairs` each), the errors' list, metrics, ROC curves and
 * predictions.
 */
async function writeTestFiles(
  dir: string,
  metrics: TestMetrics,
  curves: Record<string, RocPoint[]>,
  sets: PairSets,
  scored: Record<string, SetScores>,
  gallery: { faces: FaceArray; galleryPairs: number },
): Promise<void> {
  const set = metrics.gallerySet, threshold = metrics.threshold;
  const errors = findErrors(sets[set], scored[set].probabilities, {
    threshold,
    limit: gallery.galleryPairs,
    fileOf: (i) => gallery.faces.entries[i].file,
  });
  const grids = [
    [TEST_FILES.falsePositives, errors.falsePositives],
    [TEST_FILES.falseNegatives, errors.falseNegatives],
  ] as const;
  for (const [file, list] of grids) {
    if (list.length === 0) continue;
    const grid = await renderPairGrid(gallery.faces, list.map((e) => sets[set][e.pair]));
    await writeFileAtomic(join(dir, file), grid);
  }
  await writeJsonAtomic(join(dir, TEST_FILES.errors), { set, threshold, ...errors });
  await writeJsonAtomic(join(dir, TEST_FILES.metrics), metrics);
  const finite = (t: number) => Number.isFinite(t) ? t : null;
  await writeJsonAtomic(
    join(dir, TEST_FILES.roc),
    Object.fromEntries(
      Object.entries(curves).map((
        [k, c],
      ) => [k, c.map((p) => [p.fpr, p.tpr, finite(p.threshold)])]),
    ),
  );
  await writeJsonAtomic(
    join(dir, TEST_FILES.predictions),
    Object.fromEntries(
      Object.entries(scored).map(([k, v]) => [
        k,
        Array.from(v.probabilities, (x) => Number(x.toFixed(6))),
      ]),
    ),
  );
}
