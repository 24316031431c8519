/**
 * LFW View 2, the official benchmark: ten experiments `<name>_fold1` .. `<name>_fold10`, fold k
 * trained on the people of the other nine folds and tested on fold k's 600 pairs; the result is
 * the mean accuracy and its standard error over the ten folds, as the LFW results page reports
 * them. Fold k's decision threshold is chosen on its validation pairs, whose people were held out
 * of its training; the protocol's own choice (the other nine folds' pairs, which the fold model
 * trained on) is reported beside it. Before scoring, each fold experiment is checked to be a
 * lfw-view2 model of that fold, trained from the same protocol files, with no test person among
 * its training people.
 * @module
 */
import { join } from "node:path";
import { type BackendChoice, selectBackend } from "../backend/select_backend.ts";
import type { SplitParams, TestParams } from "../config/defaults.ts";
import { loadFaceArray, resizeFaceArray } from "../data/face_array.ts";
import { faceId } from "../data/face_file_name.ts";
import { parsePairsFile } from "../data/lfw_protocol.ts";
import type { Pair } from "../data/sample_pairs.ts";
import { bestThreshold, classificationMetrics } from "../evaluate/classification_metrics.ts";
import {
  equalErrorRate,
  negativeCount,
  rocAuc,
  rocCurve,
  tarAtFar,
} from "../evaluate/roc_curve.ts";
import { summariseFolds } from "../evaluate/ten_fold.ts";
import { pairColumns } from "../train/pair_batches.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import { hashInputFile } from "./content_hash.ts";
import { ExperimentIndex, type TenFoldRecord } from "./experiments.ts";
import { trainExperiment, type TrainOptions, type TrainOutcome } from "./train_stage.ts";
import { loadPairSets, loadSplitPeople } from "./split_files.ts";
import { openTrainedExperiment, type TrainedExperiment } from "./trained_experiment.ts";
import { stage, stageCode } from "./stages.ts";
import { sameContent } from "./same_outputs.ts";
import { checkProjection } from "./test_projection.ts";
import { scoreFold, scoreFoldInWorker } from "./fold_scores.ts";
import { mapLimit } from "../util/concurrency.ts";
import { canonicalJson } from "../util/hash.ts";

/** Number of View 2 folds. */
export const FOLDS = 10;

/** The code of the ten-fold evaluation, as declared; a run's is `stageCode(..., foldModels)`. */
export const TEN_FOLD_TEST_CODE = stage("ten-fold test").code;

/** The fold experiments' names. */
export function foldNames(name: string): string[] {
  return Array.from({ length: FOLDS }, (_, k) => `${name}_fold${k + 1}`);
}

/** What {@linkcode trainTenFold} did. */
export interface TenFoldTrainOutcome {
  record: TenFoldRecord;
  /** Folds whose training is complete. */
  complete: number;
  outcomes: TrainOutcome[];
}

/**
 * Trains the ten folds in order (each cached and resumable like any experiment), within the
 * time budget if one is given; rerunning continues fold by fold, also after the training code
 * changed: finished folds are kept as they are, an unfinished one starts again with the new code.
 */
export async function trainTenFold(
  store: ArtifactStore,
  options: TrainOptions,
): Promise<TenFoldTrainOutcome> {
  const index = new ExperimentIndex(store.root);
  const existing = await index.get(options.name);
  if (existing && existing.kind !== "ten-fold") {
    throw new UserError(
      `"${options.name}" is a single-fold experiment; choose another name for the ten-fold run`,
    );
  }
  const now = new Date().toISOString();
  const record: TenFoldRecord = {
    kind: "ten-fold",
    name: options.name,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    status: "training",
    folds: foldNames(options.name),
    options: {
      split: { ...options.split.params, fold: undefined },
      train: options.params,
      images: options.split.prepare.images,
    },
    ...(options.command ? { command: options.command } : {}),
  };
  /**
   * Writes the ten-fold record from the newest one (its evaluation's key kept), once: before the
   * first fold writes its own (so a run refused by a fold's lock writes nothing).
   */
  let written = false;
  const writeRecord = async (status: TenFoldRecord["status"]) => {
    await index.update(options.name, (current) => {
      if (current && current.kind !== "ten-fold") {
        throw new UserError(
          `"${options.name}" is a single-fold experiment; choose another name for the ten-fold run`,
        );
      }
      return {
        ...record,
        createdAt: current?.createdAt ?? record.createdAt,
        status,
        updatedAt: new Date().toISOString(),
        // The evaluation stays with the same ten folds' options (its key names their models).
        ...(current?.testKey && canonicalJson(current.options) === canonicalJson(record.options)
          ? { testKey: current.testKey }
          : {}),
      };
    });
    written = true;
  };
  const recording = async () => {
    if (!written) await writeRecord("training");
  };
  const started = performance.now();
  const outcomes: TrainOutcome[] = [];
  for (let k = 1; k <= FOLDS; k++) {
    const elapsed = (performance.now() - started) / 1000;
    const budget = options.timeBudgetSeconds === undefined
      ? undefined
      : options.timeBudgetSeconds - elapsed;
    // Like epochs within a run: the budget stops the run only after some real training.
    if (budget !== undefined && budget <= 0 && outcomes.some((o) => !o.cached)) break;
    (options.log ?? console.log)(`train: ${options.name}: fold ${k} of ${FOLDS}`);
    const outcome = await trainExperiment(store, {
      ...options,
      name: record.folds[k - 1],
      split: { ...options.split, params: { ...options.split.params, fold: k } },
      // An ensemble of ten-fold experiments: fold k of each member.
      params: options.params.members
        ? { ...options.params, members: options.params.members.map((m) => `${m}_fold${k}`) }
        : options.params,
      timeBudgetSeconds: budget,
      // Folds are models of their own: a finished one survives later code changes.
      keepFinished: true,
      recording,
    });
    outcomes.push(outcome);
    if (!outcome.artifact) break;
  }
  const complete = outcomes.filter((o) => o.artifact).length;
  if (complete === FOLDS) await writeRecord("complete");
  else await recording();
  return {
    record: { ...record, status: complete === FOLDS ? "complete" : "training" },
    complete,
    outcomes,
  };
}

/** One fold's result. */
export interface FoldResult {
  fold: number;
  /** Threshold chosen on the fold's validation pairs (people held out of its training). */
  threshold: number;
  pairs: number;
  /** Accuracy at `threshold`. */
  accuracy: number;
  /**
   * The protocol's threshold: chosen on the other nine folds' pairs (seen in training); null
   * unless the evaluation scored them (`protocolThresholds`).
   */
  protocolThreshold: number | null;
  /** Accuracy at `protocolThreshold`, or null. */
  protocolAccuracy: number | null;
  auc: number;
}

/** `metrics.json` of a ten-fold evaluation. */
export interface TenFoldMetrics {
  kind: "ten-fold";
  experiment: string;
  tta: number;
  folds: FoldResult[];
  /** Mean accuracy with thresholds from held-out validation people (the headline figure). */
  mean: number;
  standardError: number;
  /** The same with the protocol's thresholds (the other nine folds' pairs); null unless asked. */
  protocolMean: number | null;
  protocolStandardError: number | null;
  /** Over the ten test folds pooled (each pair scored by its fold's model). */
  pooled: {
    pairs: number;
    auc: number;
    eer: number;
    tarAtFar1: number | null;
    tarAtFar01: number | null;
  };
  /** Protocol pairs left out because an image is missing from the prepared faces. */
  dropped: string[];
}

/**
 * Checks that fold experiment `name` is what the ten-fold evaluation assumes: trained with
 * lfw-view2 on fold `fold`, from the protocol files (`protocolKeys`: role -> content hash) and
 * faces of the others, with no test person of the fold among its training people.
 */
export async function verifyFold(
  fold: { name: string; fold: number; split: Artifact },
  expected: {
    protocolKeys: Record<string, string>;
    /** Keys of the prepared faces the folds may use (one set of faces, by content). */
    faces: ReadonlySet<string>;
    testPeople: Set<string>;
  },
): Promise<void> {
  const { name, split } = fold;
  const params = split.manifest.params as SplitParams;
  if (params.protocol !== "lfw-view2" || params.fold !== fold.fold) {
    throw new UserError(
      `fold experiment "${name}" was trained with --protocol ${params.protocol}${
        params.fold ? ` --fold ${params.fold}` : ""
      }, not lfw-view2 fold ${fold.fold}`,
    );
  }
  for (const [role, key] of Object.entries(expected.protocolKeys)) {
    if (split.manifest.inputs[role] !== key) {
      throw new UserError(
        `fold experiment "${name}" was trained from another protocol ${role} file than the other folds`,
      );
    }
  }
  if (!expected.faces.has(split.manifest.inputs.faces)) {
    throw new UserError(`fold experiment "${name}" was trained on other prepared faces`);
  }
  const people = await loadSplitPeople(split.dir);
  const leaked = people.train.filter((p) => expected.testPeople.has(p));
  if (leaked.length > 0) {
    throw new UserError(
      `fold experiment "${name}" trained on ${leaked.length} test people of fold ${fold.fold} (${
        leaked.slice(0, 3).join(", ")
      }...): its results would not be a test`,
    );
  }
}

/** Evaluates a trained ten-fold experiment (cached like every stage). */
export async function testTenFold(
  store: ArtifactStore,
  options: {
    name: string;
    params: TestParams;
    backend: BackendChoice;
    /**
     * Also score every other fold's pairs with each fold model, for the protocol's thresholds
     * (chosen on pairs the fold model trained on): about 3.5 times the work of its own test and
     * validation pairs.
     */
    protocolThresholds?: boolean;
    force?: boolean;
    log?: (line: string) => void;
  },
): Promise<Artifact> {
  const log = options.log ?? console.log;
  const index = new ExperimentIndex(store.root);
  const record = await index.require(options.name);
  if (record.kind !== "ten-fold") {
    throw new UserError(`"${options.name}" is not a ten-fold experiment`);
  }
  const trained: TrainedExperiment[] = [];
  for (const fold of record.folds) {
    try {
      trained.push(await openTrainedExperiment(store, fold));
    } catch (error) {
      if (!(error instanceof UserError) || !/not finished training/.test(error.message)) {
        throw error;
      }
      throw new UserError(
        `fold experiment "${fold}" has not finished training: rerun \`deno task train ${options.name} --protocol lfw-view2\``,
      );
    }
  }
  for (const t of trained) checkProjection(t.model, options.params);
  const foldSplits = trained.map((t) => t.split);
  const split = foldSplits[0];
  const prepared = trained[0].prepared;
  // The same faces for every fold, by content (folds made by two versions of the data code agree).
  for (const t of trained) {
    if (!sameContent(t.prepared, prepared)) {
      throw new UserError(`fold experiment "${t.record.name}" was trained on other prepared faces`);
    }
  }
  const faceKeys = new Set(trained.map((t) => t.prepared.key));
  const pairsPath = (split.manifest.info.protocolFiles as Record<string, string>).pairs;
  const inputs: Record<string, string> = {
    faces: prepared.key,
    pairs: await hashInputFile(pairsPath, "protocol pairs file"),
  };
  trained.forEach((t, k) => inputs[`fold${k + 1}`] = t.key);
  // Assert, not assume, that every fold model is a clean lfw-view2 model of its fold.
  const protocol = parsePairsFile(await Deno.readTextFile(pairsPath), pairsPath);
  for (let k = 1; k <= FOLDS; k++) {
    const testPeople = new Set(
      protocol.pairs.filter((p) => p.fold === k).flatMap((p) => [p.a.person, p.b.person]),
    );
    await verifyFold({ name: record.folds[k - 1], fold: k, split: foldSplits[k - 1] }, {
      protocolKeys: { pairs: inputs.pairs, people: split.manifest.inputs.people },
      faces: faceKeys,
      testPeople,
    });
  }
  const { artifact } = await store.ensure(
    {
      stage: "test",
      code: stageCode("ten-fold test", trained.map((t) => t.model)),
      // Keys of evaluations made before the option existed (which scored every pair) still hold.
      params: {
        ...options.params,
        tenFold: true,
        ...(options.protocolThresholds ? {} : { ownPairsOnly: true }),
      },
      inputs,
    },
    async (dir) => {
      const backend = await selectBackend(options.backend, { log });
      const faces = await loadFaceArray(prepared.dir);
      const indexOf = new Map(faces.entries.map((e, i) => [faceId(e.person, e.number), i]));
      const pairs: (Pair & { fold: number })[] = [];
      const dropped: string[] = [];
      for (const p of protocol.pairs) {
        const a = indexOf.get(faceId(p.a.person, p.a.number)),
          b = indexOf.get(faceId(p.b.person, p.b.number));
        if (a === undefined || b === undefined) {
          dropped.push(`${faceId(p.a.person, p.a.number)} ${faceId(p.b.person, p.b.number)}`);
        } else pairs.push({ a, b, same: p.same, fold: p.fold });
      }
      const folds: FoldResult[] = [];
      const pooledScores: number[] = [], pooledLabels: number[] = [];
      const predictions: Record<string, number[]> = {};
      const resized = new Map<number, Uint8Array>();
      const entries = faces.entries.map((e) => ({ person: e.person }));
      // The folds are independent: on the CPU backends, a worker per core (per backend
      // instance's threads) scores a fold; WebGPU and the native TensorFlow score one by one.
      const parallel = backend.name === "wasm" || backend.name === "cpu";
      const cores = navigator.hardwareConcurrency || 1;
      const limit = parallel
        ? Math.min(FOLDS, Math.max(1, Math.floor(cores / backend.threads)))
        : 1;
      if (limit > 1) log(`test: scoring ${limit} folds at a time, one worker each`);
      const scored = await mapLimit(trained, async (fold, index) => {
        const k = index + 1;
        const started = performance.now();
        // One resize per input size, shared by the folds.
        let small = resized.get(fold.model.inputSize);
        if (!small) {
          resized.set(fold.model.inputSize, small = resizeFaceArray(faces, fold.model.inputSize));
        }
        // One pass over fold k's test pairs and its validation pairs, which choose its
        // threshold (and, when asked, the other folds' pairs, for the protocol's threshold).
        const validation = (await loadPairSets(foldSplits[k - 1].dir)).val;
        const scoredPairs = options.protocolThresholds ? pairs : pairs.filter((p) => p.fold === k);
        const request = {
          faces: small,
          entries,
          pairs: pairColumns(scoredPairs),
          validation: pairColumns(validation),
          params: options.params,
        };
        const probabilities = limit > 1
          ? await scoreFoldInWorker(
            {
              ...request,
              artifacts: store.root,
              fold: record.folds[k - 1],
              key: fold.key,
              backend: backend.name === "cpu" ? "cpu" : "wasm",
            },
            log,
          )
          : await scoreFold(fold, request, log);
        const { result, scores, y } = foldResult(k, scoredPairs, probabilities, validation);
        log(
          `test: fold ${k}: accuracy ${(100 * result.accuracy).toFixed(2)}% (threshold ${
            result.threshold.toFixed(3)
          } from held-out validation people${
            result.protocolAccuracy === null
              ? ""
              : `; ${(100 * result.protocolAccuracy).toFixed(2)}% at the protocol's threshold`
          }), ${((performance.now() - started) / 1000).toFixed(1)}s`,
        );
        return { result, scores, y };
      }, { limit });
      for (const { result, scores, y } of scored) {
        folds.push(result);
        pooledScores.push(...scores);
        pooledLabels.push(...y);
        predictions[`fold${result.fold}`] = scores.map((x) => Number(x.toFixed(6)));
      }

      /**
       * Fold k's thresholds and accuracies from its scores of `scored` (protocol pairs) followed
       * by its validation pairs, with its own test pairs' scores and labels.
       */
      function foldResult(
        k: number,
        scored: (Pair & { fold: number })[],
        probabilities: Float32Array,
        validation: Pair[],
      ) {
        const label = (p: Pair) => (p.same ? 1 : 0);
        const inFold = (i: number) => scored[i].fold === k;
        const other = scored.map((_, i) => i).filter((i) => !inFold(i));
        const own = scored.map((_, i) => i).filter(inFold);
        const threshold = bestThreshold(
          probabilities.subarray(scored.length),
          validation.map(label),
        );
        const protocolThreshold = other.length === 0 ? null : bestThreshold(
          other.map((i) => probabilities[i]),
          other.map((i) => label(scored[i])),
        );
        const scores = own.map((i) => probabilities[i]), y = own.map((i) => label(scored[i]));
        const result: FoldResult = {
          fold: k,
          threshold,
          pairs: own.length,
          accuracy: classificationMetrics(scores, y, { threshold }).accuracy,
          protocolThreshold,
          protocolAccuracy: protocolThreshold === null
            ? null
            : classificationMetrics(scores, y, { threshold: protocolThreshold }).accuracy,
          auc: rocAuc(rocCurve(scores, y)),
        };
        return { result, scores, y };
      }
      const summary = summariseFolds(folds.map((f) => f.accuracy));
      const protocolSummary = options.protocolThresholds
        ? summariseFolds(folds.map((f) => f.protocolAccuracy!))
        : undefined;
      const curve = rocCurve(pooledScores, pooledLabels);
      const metrics: TenFoldMetrics = {
        kind: "ten-fold",
        experiment: options.name,
        tta: options.params.tta,
        folds,
        mean: summary.mean,
        standardError: summary.standardError,
        protocolMean: protocolSummary?.mean ?? null,
        protocolStandardError: protocolSummary?.standardError ?? null,
        pooled: {
          pairs: pooledScores.length,
          auc: rocAuc(curve),
          eer: equalErrorRate(curve),
          tarAtFar1: tarAtFar(curve, 0.01, negativeCount(pooledLabels)),
          tarAtFar01: tarAtFar(curve, 0.001, negativeCount(pooledLabels)),
        },
        dropped,
      };
      await writeJsonAtomic(join(dir, "metrics.json"), metrics);
      await writeJsonAtomic(join(dir, "roc.json"), {
        test: curve.map((p) => [p.fpr, p.tpr, Number.isFinite(p.threshold) ? p.threshold : null]),
      });
      await writeJsonAtomic(join(dir, "predictions.json"), predictions);
      return { experiment: options.name, mean: summary.mean, standardError: summary.standardError };
    },
    { force: options.force },
  );
  // The newest record gets the evaluation (never a copy taken before it ran).
  await index.update(
    options.name,
    (current) =>
      current?.kind === "ten-fold" && current.testKey !== artifact.key
        ? { ...current, testKey: artifact.key }
        : undefined,
  );
  return artifact;
}
