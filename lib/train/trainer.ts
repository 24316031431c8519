/**
 * The training loop: epochs of augmented batches, Adam steps, validation after each epoch, a
 * checkpoint after each epoch, and exact resume from the last one. Every random draw comes from
 * a generator derived from (seed, stream, epoch, batch), so an interrupted and resumed run ends
 * with the same weights as an uninterrupted one.
 * @module
 */
import { join } from "node:path";
import type { AugmentParams } from "../augment/affine_augmenter.ts";
import { initialParamArrays, ModelParams, type ParamArrays } from "../model/model_params.ts";
import { getModel } from "../model/registry.ts";
import type { FramedModel } from "../model/framed_model.ts";
import type { ObjectiveSpec, SiameseModel } from "../model/siamese_model.ts";
import { UserError } from "../util/errors.ts";
import { Progress } from "../util/progress.ts";
import { Rng } from "../util/rng.ts";
import { Adam, type AdamParams } from "./adam.ts";
import { BatchPrefetcher } from "./batch_prefetcher.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { damageReason } from "../util/damaged_file.ts";
import { scorePairs, validationFigures } from "../evaluate/validation_scores.ts";
import { LocalStepRunner, type StepRunner } from "./train_step.ts";
import { SideParallelStepRunner } from "./side_parallel_step.ts";
import { type EpochRecord, writeHistory } from "./history.ts";
import { batchCount, type PairColumns, STREAMS } from "./pair_batches.ts";
import { learningRateScale, type LrSchedule } from "./lr_schedule.ts";
import { COSFACE_WEIGHTS, withObjective, withObjectiveParams } from "./objective.ts";

/** The parameters that define a training run (and its artifact key). */
export interface TrainParams {
  model: string;
  epochs: number;
  /** Pairs per step (identity objectives: pairs of images of one person, 2x images). */
  batchSize: number;
  seed: number;
  augment: AugmentParams;
  adam: AdamParams;
  /** Learning-rate schedule over the epochs. */
  schedule: LrSchedule;
  /** Epochs of linear learning-rate warm-up. */
  warmupEpochs: number;
  /**
   * Identity objectives: people with fewer training images than this are not classes (they
   * are left out of training). Ignored by pair objectives.
   */
  minImagesPerPerson: number;
  /**
   * The objective trained, when the model has identity labels (`--margin`, `--logit-scale`);
   * absent: the model's own (and always for pair models).
   */
  objective?: ObjectiveSpec;
  /** Ensembles (`train --members`): the member experiments, in the order of the model's name. */
  members?: string[];
}

/** The data of a run. */
export interface TrainData {
  /** Faces at the model's input size: N x size x size bytes. */
  faces: Uint8Array;
  size: number;
  /** Training pairs; for identity objectives, pairs of one person with `classes` set. */
  train: PairColumns;
  val: PairColumns;
  /** Training identities (identity objectives only). */
  classes?: number;
}

/** Options of {@linkcode runTraining}. */
export interface TrainRunOptions {
  /** Folder of the run: `checkpoint.bin`, `history.json`, `history.csv`. */
  workDir: string;
  /** Stop (after a complete epoch) when the next epoch would end past this many seconds. */
  timeBudgetSeconds?: number;
  /** Starting weights instead of a fresh initialisation (`--load`). */
  initialWeights?: ParamArrays;
  /** Ensembles: each member's trained parameters, in the order of `members`. */
  memberWeights?: ParamArrays[];
  /** Ensembles: each member's checkpoint meta (a fitted member's stored validation scores). */
  memberMetas?: Readonly<Record<string, unknown>>[];
  /** Status lines (default console.log). */
  log?: (line: string) => void;
  /** Live progress line on a terminal (default: automatic). */
  progress?: boolean;
  /**
   * Threads for the training steps: 2 runs the two sides of each batch on two worker threads
   * (wasm backend only; the results are identical); default 1.
   */
  threads?: number;
}

/** What a call of {@linkcode runTraining} achieved. */
export interface TrainRunResult {
  /** Epochs completed so far (over all calls). */
  epochsDone: number;
  /** true when all `epochs` are done. */
  complete: boolean;
  history: EpochRecord[];
  /** Epochs run by this call. */
  epochsThisCall: number;
}

import { TRAIN_FILES } from "./train_files.ts";
export { TRAIN_FILES };

/** A rate in percent, as every task prints accuracies. */
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Creates or restores the parameters and optimiser of a run. */
async function startState(
  model: SiameseModel,
  name: string,
  params: TrainParams,
  options: TrainRunOptions,
) {
  const path = join(options.workDir, TRAIN_FILES.checkpoint);
  let checkpoint;
  try {
    checkpoint = await loadCheckpoint(path);
  } catch (error) {
    throw new UserError(
      `checkpoint ${path} is damaged (${damageReason(error)}); rerun with --force to start over`,
    );
  }
  const adam = new Adam(params.adam);
  if (checkpoint) {
    if (checkpoint.model !== name) {
      throw new Error(`checkpoint is of model ${checkpoint.model}, not ${name}`);
    }
    const weights = new ModelParams(model, checkpoint.weights);
    adam.load(checkpoint.optimizer, new Map(model.params.map((p) => [p.name, p.shape])));
    return {
      weights,
      adam,
      epoch: checkpoint.epoch,
      history: checkpoint.meta.history as EpochRecord[],
    };
  }
  const values = initialParamArrays(model, Rng.derive(params.seed, STREAMS.init));
  // Starting weights (--load) replace the model's own; the objective's identity weights belong
  // to the other run's training people, so this run's stay freshly drawn.
  for (const [name, loaded] of options.initialWeights ?? []) {
    if (name !== COSFACE_WEIGHTS && values.get(name)?.length === loaded.length) {
      values.set(name, loaded);
    }
  }
  return { weights: new ModelParams(model, values), adam, epoch: 0, history: [] as EpochRecord[] };
}

/**
 * Trains (or resumes training) in `options.workDir` until `params.epochs` are done or the time
 * budget runs out. A checkpoint and the history are written after every epoch.
 */
export async function runTraining(
  params: TrainParams,
  data: TrainData,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  const log = options.log ?? console.log;
  const named = getModel(params.model);
  const { model, data: trainOn } = trainedNetwork(named, params, data);
  const state = await startState(model, named.name, params, options);
  if (state.epoch > 0 && state.epoch < params.epochs) {
    log(`train: resuming after epoch ${state.epoch}`);
  }
  const started = performance.now();
  const measures = epochMeasures(model);
  const prefetcher = new BatchPrefetcher({
    faces: trainOn.faces,
    size: trainOn.size,
    pairs: trainOn.train,
    batchSize: params.batchSize,
    seed: params.seed,
    augment: params.augment,
  });
  let runner: StepRunner;
  try {
    runner = (options.threads ?? 1) >= 2
      ? new SideParallelStepRunner(state.weights, state.adam, { maxBatch: params.batchSize })
      : new LocalStepRunner(state.weights, state.adam);
  } catch (error) {
    // Its workers may refuse to start (their code changed): the batch worker ends too.
    prefetcher.close();
    throw error;
  }
  let epochsThisCall = 0;
  try {
    while (state.epoch < params.epochs) {
      const epoch = state.epoch + 1;
      const epochStart = performance.now();
      const steps = await trainEpoch(epoch, state, {
        params,
        data: trainOn,
        options,
        prefetcher,
        runner,
        measures,
      });
      const record = await epochRecord(epoch, epochStart, steps, state.weights, params, trainOn);
      state.history.push(record);
      state.epoch = epoch;
      epochsThisCall++;
      await saveEpoch(options.workDir, named.name, state, params.seed);
      log(epochLine(record, params.epochs, measures));
      const elapsed = (performance.now() - started) / 1000;
      if (
        options.timeBudgetSeconds !== undefined && state.epoch < params.epochs &&
        elapsed + record.seconds > options.timeBudgetSeconds
      ) {
        log(
          `train: time budget reached after epoch ${state.epoch}; rerun the same command to continue`,
        );
        break;
      }
    }
    // A run whose checkpoint is already complete (an artifact repaired from its intact
    // checkpoint) rewrites its history files from the checkpoint's.
    if (epochsThisCall === 0) await writeHistory(options.workDir, state.history);
  } finally {
    runner.close();
    prefetcher.close();
    state.weights.dispose();
    state.adam.dispose();
  }
  return {
    epochsDone: state.epoch,
    complete: state.epoch >= params.epochs,
    history: state.history,
    epochsThisCall,
  };
}

/**
 * The network `named` trains as, with its objective's parameters, and the faces it trains on: a
 * network reading a crop of its faces is trained as the network itself, on the crops.
 */
function trainedNetwork(
  named: SiameseModel,
  params: TrainParams,
  data: TrainData,
): { model: SiameseModel; data: TrainData } {
  const framed = (named as Partial<FramedModel>).trainsOn;
  if (framed) {
    data = { ...data, faces: framed.cropFaces(data.faces, data.size), size: framed.crop.size };
  }
  const model = withObjectiveParams(
    withObjective(framed?.network ?? named, params.objective),
    data.classes ?? 0,
  );
  if (data.size !== model.inputSize) {
    throw new Error(`model ${model.name} needs ${model.inputSize}px faces, got ${data.size}`);
  }
  return { model, data };
}

/** The names of an epoch's figures: its unit, loss and accuracy. */
interface EpochMeasures {
  unit: string;
  loss: string;
  accuracy: string;
}

/**
 * What an epoch's figures are of: an identity objective steps over images and measures its loss
 * and accuracy over the training people (classes), not over pairs.
 */
function epochMeasures(model: SiameseModel): EpochMeasures {
  const identities = model.objective.kind !== "pair";
  return identities
    ? { unit: "images", loss: "identity loss", accuracy: "identity acc" }
    : { unit: "pairs", loss: "loss", accuracy: "acc" };
}

/** A run's parameters, optimiser, finished epochs and history (`startState`). */
type RunState = Awaited<ReturnType<typeof startState>>;

/** The sums of one epoch's training steps. */
interface EpochSteps {
  lossSum: number;
  correct: number;
  predictions: number;
  /** Training examples seen. */
  seen: number;
  /** Seconds of the steps, without validation. */
  seconds: number;
}

/**
 * Runs epoch `epoch`'s batches, showing progress (rate, the epoch's and the run's ETA); a
 * non-finite loss stops the run, the last epoch's checkpoint kept.
 */
async function trainEpoch(
  epoch: number,
  state: RunState,
  run: {
    params: TrainParams;
    data: TrainData;
    options: TrainRunOptions;
    prefetcher: BatchPrefetcher;
    runner: StepRunner;
    measures: EpochMeasures;
  },
): Promise<EpochSteps> {
  const { params, prefetcher, runner, measures } = run;
  const started = performance.now();
  const examples = run.data.train.a.length;
  const batches = batchCount(examples, params.batchSize);
  // The run's ETA uses the mean of the epochs finished so far (validation included).
  const finished = state.history.slice(-5);
  const progress = new Progress(`epoch ${epoch}/${params.epochs}`, examples, {
    unit: measures.unit,
    live: run.options.progress,
    summary: false,
    run: {
      piecesAfter: params.epochs - epoch,
      secondsPerPiece: finished.length
        ? finished.reduce((sum, h) => sum + h.seconds, 0) / finished.length
        : undefined,
    },
  });
  const sums = { lossSum: 0, correct: 0, predictions: 0, seen: 0 };
  for (let i = 0; i < batches; i++) {
    const batch = await prefetcher.get(epoch, i, batches);
    const learningRate = learningRateScale(params, epoch - 1 + i / batches);
    const step = await runner.step(batch, { seed: params.seed, epoch, batch: i }, {
      learningRateScale: learningRate,
    });
    if (!Number.isFinite(step.lossSum)) {
      // The weights are already damaged; the checkpoint on disk is the last good state.
      throw new UserError(
        `training diverged: the loss is ${step.lossSum} at epoch ${epoch}, batch ${
          i + 1
        } of ${batches}; the checkpoint after epoch ${state.epoch} is kept (try a lower --lr)`,
      );
    }
    sums.lossSum += step.lossSum;
    sums.correct += step.correct;
    sums.predictions += step.predictions;
    sums.seen += batch.count;
    progress.advance(
      batch.count,
      `${measures.loss} ${(sums.lossSum / sums.seen).toFixed(4)}, ${measures.accuracy} ${
        percent(sums.correct / sums.predictions)
      }`,
    );
  }
  progress.finish();
  return { ...sums, seconds: (performance.now() - started) / 1000 };
}

/**
 * Epoch `epoch`'s record: its training figures and the validation pairs' loss, accuracy at the
 * threshold chosen on validation (as `test` reports it: the verification scores of identity
 * objectives, scaled cosines, are not calibrated at 0.5) and AUC.
 */
async function epochRecord(
  epoch: number,
  epochStart: number,
  steps: EpochSteps,
  weights: ModelParams,
  params: TrainParams,
  data: TrainData,
): Promise<EpochRecord> {
  const val = await scorePairs(weights, {
    faces: data.faces,
    size: data.size,
    pairs: data.val,
    seed: params.seed,
  });
  const figures = validationFigures(val.probabilities, data.val.same);
  return {
    epoch,
    trainLoss: steps.lossSum / steps.seen,
    trainAccuracy: steps.correct / steps.predictions,
    valLoss: val.loss,
    valAccuracy: figures.accuracy,
    valAuc: figures.auc,
    seconds: (performance.now() - epochStart) / 1000,
    pairsPerSecond: steps.seen / steps.seconds,
  };
}

/** Writes the run's checkpoint (weights, optimiser, epoch, history) and history files. */
async function saveEpoch(
  workDir: string,
  model: string,
  state: RunState,
  seed: number,
): Promise<void> {
  await saveCheckpoint(join(workDir, TRAIN_FILES.checkpoint), {
    model,
    epoch: state.epoch,
    // Read asynchronously: WebGPU reads no other way (the values are the same everywhere).
    weights: await state.weights.readArrays(),
    optimizer: await state.adam.readState(),
    meta: { seed, history: state.history },
  });
  await writeHistory(workDir, state.history);
}

/** The line printed after an epoch. */
function epochLine(
  record: EpochRecord,
  epochs: number,
  measures: EpochMeasures,
): string {
  return `epoch ${record.epoch}/${epochs}: ${measures.loss} ${
    record.trainLoss.toFixed(4)
  } ${measures.accuracy} ${percent(record.trainAccuracy)}` +
    ` | val loss ${record.valLoss.toFixed(4)} acc ${percent(record.valAccuracy)} AUC ${
      record.valAuc!.toFixed(4)
    }` +
    ` | ${record.pairsPerSecond.toFixed(1)} ${measures.unit}/s, ${record.seconds.toFixed(1)}s`;
}
