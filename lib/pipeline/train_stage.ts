/**
 * The `train` stage: a split (and optionally another experiment's weights) in, a trained model
 * with its history out, under an experiment name. Training checkpoints into the artifact's
 * `.partial` folder after every epoch, so a rerun after a crash, Ctrl-C or a spent time budget
 * resumes from the last completed epoch; the artifact is finalised when every epoch is done.
 * @module
 */
import { join } from "node:path";
import { type BackendChoice, type BackendInfo, selectBackend } from "../backend/select_backend.ts";
import { loadFaceArray, resizeFaceArray } from "../data/face_array.ts";
import { getModel } from "../model/registry.ts";
import { parameterCount, type SiameseModel } from "../model/siamese_model.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { pairColumns } from "../train/pair_batches.ts";
import { runTraining, TRAIN_FILES, type TrainParams } from "../train/trainer.ts";
import { UserError } from "../util/errors.ts";
import { type Artifact, type ArtifactStore, stageKey, type StageSpec } from "./artifact_store.ts";
import { ExperimentIndex, type ExperimentRecord } from "./experiments.ts";
import { ensureSplit, type SplitOptions } from "./split_stage.ts";
import { loadPairSets, loadTrainImages } from "./split_files.ts";
import { identityPairs } from "../data/identity_pairs.ts";
import { learnsIdentities } from "../train/objective.ts";
import { fitDescriptorPipeline } from "../train/fit_lda.ts";
import { fitEnsemble } from "../train/fit_ensemble.ts";
import { loadMembers, membersData } from "./ensemble_members.ts";
import { describeOptions, resolveExistingRun } from "./existing_run.ts";
import { RunRecorder } from "./run_recorder.ts";
import { startingWeights } from "./starting_weights.ts";
import { stage, stageCode } from "./stages.ts";
import { defaultTrainingThreads } from "../config/defaults.ts";

/** The code of the stage, as declared; a run's is `stageCode("train", [model])`. */
export const TRAIN_CODE = stage("train").code;

/** Options of {@linkcode trainExperiment}. */
export interface TrainOptions {
  /** Experiment name. */
  name: string;
  split: SplitOptions;
  params: TrainParams;
  backend: BackendChoice;
  /** Stop after the epoch that would end past this budget; rerun to continue. */
  timeBudgetSeconds?: number;
  /** Start from this experiment's trained weights. */
  load?: string;
  /** Retrain from scratch, replacing the experiment's record. */
  force?: boolean;
  /**
   * When NAME exists with these very options but was made by other training code: a finished run
   * (from today's prepared faces and split) is used as it is, and any other is started again with
   * this code (its record kept under
   * another name, its checkpoint left in the store). How a ten-fold run goes on across code
   * changes: each fold is a model of its own, and a finished one is never retrained unasked.
   */
  keepFinished?: boolean;
  /** Live progress line (default: automatic). */
  progress?: boolean;
  /** Training threads (wasm backend: 1 or 2; default: 2 when the machine has 2 cores). */
  threads?: number;
  /** Status lines (default console.log). */
  log?: (line: string) => void;
  /** The command that asked for this training, recorded with the experiment. */
  command?: string;
  /**
   * Runs before this run first writes its record (when training, once its lock is held: a run
   * refused by the lock writes nothing); a ten-fold run writes its own record here.
   */
  recording?: () => Promise<void>;
}

/** What {@linkcode trainExperiment} did. */
export interface TrainOutcome {
  /** The finished artifact, when every epoch is done. */
  artifact?: Artifact;
  /** The work folder while training is unfinished. */
  partialDir?: string;
  epochsDone: number;
  record: ExperimentRecord;
  /** true when the trained model was found in the cache and nothing was trained. */
  cached: boolean;
}

/** Trains (or resumes, or finds cached) the experiment `options.name`. */
export async function trainExperiment(
  store: ArtifactStore,
  options: TrainOptions,
): Promise<TrainOutcome> {
  const log = options.log ?? console.log;
  const index = new ExperimentIndex(store.root);
  const existing = await singleRecord(index, options);
  const model = getModel(options.params.model);
  // Checked before any stage runs, so a bad combination leaves no record and no artifact.
  if (!options.split.prepare.params.grey) {
    throw new UserError(`model ${model.name} needs grey faces: prepare without --colour`);
  }
  if (options.split.params.valPairs === 0) {
    throw new UserError("training needs validation pairs (--val-pairs > 0)");
  }
  // An ensemble compares faces as its members did: on their prepared faces and split.
  const { prepared, split } = options.params.members
    ? await membersData(store, index, options.params.members[0])
    : await ensureSplit(store, options.split);
  // The backend and kernel set are part of what made a model: two kernel sets round
  // differently, so a run is only bit-identical to one made with the same ones.
  const backend = await selectBackend(options.backend, { log });
  const compute = computeSignature(backend);
  const inputs: Record<string, string> = { faces: prepared.key, split: split.key, compute };
  const start = options.load === undefined
    ? undefined
    : await startingWeights(store, index, options.load, model, split);
  if (start) inputs.init = start.key;
  // An ensemble's members: their trained parameters are its inputs (their keys in its key).
  const members = options.params.members
    ? await loadMembers(store, index, options.params.members, options.params.model, {
      prepared,
      split,
    })
    : undefined;
  members?.keys.forEach((key, i) => inputs[`member${i + 1}`] = key);
  const spec: StageSpec = {
    stage: "train",
    code: stageCode("train", [model]),
    params: options.params,
    inputs,
  };
  const key = await stageKey(spec);
  const described = describeOptions(options, compute);
  const plan = await resolveExistingRun(store, options, existing, {
    key,
    described,
    compute,
    prepared,
    split,
    log,
  });
  if ("reuse" in plan) return plan.reuse;
  const now = new Date().toISOString();
  const recorder = new RunRecorder(index, options, {
    name: options.name,
    createdAt: now,
    updatedAt: now,
    status: "training",
    keys: { prepare: prepared.key, split: split.key, train: key },
    options: described,
    ...(options.command ? { command: options.command } : {}),
  }, { existing, replacing: plan.replacing, log });
  // A damaged artifact is not an error here: this is the stage that repairs it (ensure keeps
  // its intact checkpoint, so only the damaged files are rewritten).
  const inspected = options.force ? undefined : await store.inspect("train", key);
  if (inspected?.state === "ok") {
    log(`train: cached (${key.slice(0, 12)})`);
    await recorder.write("complete");
    const record = await recorder.newest();
    return {
      artifact: inspected.artifact,
      epochsDone: options.params.epochs,
      record,
      cached: true,
    };
  }
  return await trainStage(store, spec, recorder, {
    options,
    model,
    backend,
    prepared,
    split,
    start,
    members,
    log,
  });
}

/** The record of the single experiment `options.name`, if any (`--force`: a damaged one's none). */
async function singleRecord(
  index: ExperimentIndex,
  options: TrainOptions,
): Promise<ExperimentRecord | undefined> {
  const found = await index.get(options.name).catch((error) => {
    if (options.force && error instanceof UserError) return undefined;
    throw error;
  });
  if (found?.kind === "ten-fold") {
    throw new UserError(
      `"${options.name}" is a ten-fold experiment: train it with --protocol lfw-view2 and no --fold, or use another name`,
    );
  }
  return found;
}

/** What a run trains from and with. */
interface TrainingRun {
  options: TrainOptions;
  model: SiameseModel;
  backend: BackendInfo;
  prepared: Artifact;
  split: Artifact;
  /** The artifact of `--load`'s starting weights. */
  start?: Artifact;
  members?: Awaited<ReturnType<typeof loadMembers>>;
  log: (line: string) => void;
}

/**
 * Runs the stage: trains into its work folder (resuming from the last checkpoint), records the
 * run as it starts and as it finishes; a paused run (time budget) returns its work folder.
 */
async function trainStage(
  store: ArtifactStore,
  spec: StageSpec,
  recorder: RunRecorder,
  run: TrainingRun,
): Promise<TrainOutcome> {
  const done = { epochsDone: 0, complete: false };
  try {
    const { artifact } = await store.ensure(spec, (workDir) => trainInto(workDir, run, done), {
      resumable: true,
      force: run.options.force,
      started: () => recorder.write("training"),
      // Its checksum verifies it on resume: an artifact whose manifest is damaged is repaired
      // from it (the history files are rewritten from its history), not trained again.
      selfChecking: [TRAIN_FILES.checkpoint],
    });
    const record = await recorder.finish();
    return { artifact, epochsDone: done.epochsDone, record, cached: false };
  } catch (error) {
    if (error instanceof TrainingPaused && !done.complete) {
      const record = recorder.record;
      const partialDir = store.partialDirOf("train", record.keys.train);
      return { partialDir, epochsDone: error.epochsDone, record, cached: false };
    }
    throw error;
  }
}

/**
 * Trains `run`'s model into `workDir`: fitted models in one pass, the others by steps; returns
 * what the artifact's manifest records, or throws {@linkcode TrainingPaused}.
 */
async function trainInto(
  workDir: string,
  run: TrainingRun,
  done: { epochsDone: number; complete: boolean },
): Promise<Record<string, unknown>> {
  const { options, model, backend, members, log } = run;
  // The native backend threads by itself; wasm gets one worker per side of the pair.
  const threads = backend.name === "wasm"
    ? Math.min(2, options.threads ?? defaultTrainingThreads())
    : 1;
  log(`train: ${threads} training thread${threads > 1 ? "s" : ""}`);
  const data = await trainingData(run);
  const initialWeights = run.start
    ? (await loadCheckpoint(join(run.start.dir, TRAIN_FILES.checkpoint)))?.weights
    : undefined;
  const started = performance.now();
  const fit = model.objective.kind === "lda"
    ? fitDescriptorPipeline
    : model.objective.kind === "ensemble"
    ? fitEnsemble
    : runTraining;
  const result = await fit(options.params, {
    ...data,
    faces: resizeFaceArray(data.faces, model.inputSize),
    size: model.inputSize,
  }, {
    workDir,
    timeBudgetSeconds: options.timeBudgetSeconds,
    initialWeights,
    memberWeights: members?.weights,
    memberMetas: members?.metas,
    log,
    progress: options.progress,
    threads,
  });
  done.epochsDone = result.epochsDone;
  if (!result.complete) throw new TrainingPaused(result.epochsDone);
  done.complete = true;
  const history = result.history;
  return {
    backend,
    threads,
    parameters: parameterCount(model),
    objective: model.objective,
    classes: data.classes,
    trainingExamples: data.train.a.length,
    epochs: result.epochsDone,
    final: history[history.length - 1],
    bestValAccuracy: Math.max(...history.map((h) => h.valAccuracy)),
    trainingSeconds: history.reduce((s, h) => s + h.seconds, 0),
    // An ensemble's budget includes its members' training.
    ...(members ? { membersTrainingSeconds: members.trainingSeconds } : {}),
    lastCallSeconds: (performance.now() - started) / 1000,
    pairsPerSecond: history.reduce((s, h) => s + h.pairsPerSecond, 0) / history.length,
    hardware: { cpus: navigator.hardwareConcurrency, os: `${Deno.build.os}-${Deno.build.arch}` },
  };
}

/**
 * The prepared faces and what the run learns from: identity objectives every image the split
 * allows for training, labelled by person; pair objectives the split's training pairs.
 */
async function trainingData(run: TrainingRun) {
  const { model, options, log } = run;
  const faces = await loadFaceArray(run.prepared.dir);
  if (faces.channels !== 1) {
    throw new UserError(`model ${model.name} needs grey faces: prepare without --colour`);
  }
  const sets = await loadPairSets(run.split.dir);
  if (sets.val.length === 0) {
    throw new UserError("training needs validation pairs (--val-pairs > 0)");
  }
  const val = pairColumns(sets.val);
  if (!learnsIdentities(model)) {
    return { faces, train: pairColumns(sets.train), val, classes: undefined };
  }
  const identities = identityPairs(
    await loadTrainImages(run.split.dir),
    (i) => faces.entries[i].person,
    { minImages: options.params.minImagesPerPerson, seed: options.params.seed },
  );
  const { columns: train, classes } = identities;
  log(
    `train: ${model.objective.kind} objective: ${train.a.length} training images of ${classes} people` +
      (identities.skippedImages
        ? ` (${identities.skippedImages} images of people with fewer than ${options.params.minImagesPerPerson} left out)`
        : ""),
  );
  return { faces, train, val, classes };
}

/**
 * What computes a training run, as recorded in its key: the tfjs backend and the kernel set
 * (for native kernels this names the BLAS library and the core type it chose).
 */
export function computeSignature(backend: BackendInfo): string {
  return `${backend.name} backend, kernels: ${backend.kernels}`;
}

/** Thrown inside the stage when training stopped early on purpose (time budget). */
class TrainingPaused extends Error {
  readonly epochsDone: number;
  constructor(epochsDone: number) {
    super(`training paused after epoch ${epochsDone}`);
    this.epochsDone = epochsDone;
  }
}
