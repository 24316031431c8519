/**
 * The end of a run of a fitted model (no gradient steps: `lda`, `ensemble`): its validation
 * figures as the one epoch of its history, and a checkpoint and history files like those of a
 * trained run, so that every later stage treats it like a trained model.
 * @module
 */
import { join } from "node:path";
import {
  scorePairs,
  storedValidation,
  TEST_SCORING,
  validationFigures,
} from "../evaluate/validation_scores.ts";
import { scoredByDescriptors, scorePairsByDescriptors } from "../evaluate/descriptor_scores.ts";
import type { ModelParams } from "../model/model_params.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { type EpochRecord, writeHistory } from "./history.ts";
import type { TrainData, TrainParams, TrainRunOptions, TrainRunResult } from "./trainer.ts";
import { TRAIN_FILES } from "./train_files.ts";
import { UserError } from "../util/errors.ts";
import { damageReason } from "../util/damaged_file.ts";

/**
 * The result of a fit already written in `options.workDir`, if any (an artifact repaired from its
 * intact checkpoint): its history files are rewritten from the checkpoint's history.
 */
export async function finishedFit(options: TrainRunOptions): Promise<TrainRunResult | undefined> {
  const path = join(options.workDir, TRAIN_FILES.checkpoint);
  const done = await loadCheckpoint(path).catch((error) => {
    throw new UserError(
      `checkpoint ${path} is damaged (${damageReason(error)}); rerun with --force to fit again`,
    );
  });
  if (!done) return undefined;
  const history = done.meta.history as EpochRecord[];
  await writeHistory(options.workDir, history);
  return { epochsDone: 1, complete: true, history, epochsThisCall: 0 };
}

/**
 * Scores the validation pairs with the fitted `weights` as `test` does (the one validation
 * scoring) and writes the run's checkpoint, with those scores for `test` and ensembles to reuse
 * (`meta.validation`), and its history (one epoch; no training loss or accuracy exists, so they
 * are NaN).
 */
export async function saveFit(
  weights: ModelParams,
  params: TrainParams,
  data: TrainData,
  options: TrainRunOptions & {
    started: number;
    examplesPerSecond: number;
    /** The fit's steps with their times (descriptor pipelines), kept in the checkpoint. */
    steps?: readonly { step: string; seconds: number; summary: string }[];
  },
): Promise<TrainRunResult> {
  const input = { faces: data.faces, size: data.size, pairs: data.val, seed: params.seed };
  // Scored as `test` scores them: a fitted descriptor model (or an ensemble of them) by a
  // describing worker per core, any other model in this thread.
  const val = scoredByDescriptors(weights)
    ? await scorePairsByDescriptors(weights, input, TEST_SCORING.flip, {
      workers: navigator.hardwareConcurrency || 1,
    })
    : await scorePairs(weights, input);
  const figures = validationFigures(val.probabilities, data.val.same);
  const record: EpochRecord = {
    epoch: 1,
    trainLoss: NaN,
    trainAccuracy: NaN,
    valLoss: val.loss,
    valAccuracy: figures.accuracy,
    valAuc: figures.auc,
    seconds: (performance.now() - options.started) / 1000,
    pairsPerSecond: options.examplesPerSecond,
  };
  const history = [record];
  await saveCheckpoint(join(options.workDir, TRAIN_FILES.checkpoint), {
    model: weights.model.name,
    epoch: 1,
    weights: await weights.readArrays(),
    // An optimiser that took no step (no gradient training: the training loop is not its code).
    optimizer: { step: 0, m: new Map(), v: new Map() },
    meta: {
      seed: params.seed,
      history,
      ...(options.steps ? { steps: options.steps } : {}),
      validation: storedValidation(data.val, val.probabilities),
    },
  });
  await writeHistory(options.workDir, history);
  (options.log ?? console.log)(
    `fitted in ${record.seconds.toFixed(1)}s | val acc ${
      (100 * record.valAccuracy).toFixed(2)
    }% AUC ${record.valAuc!.toFixed(4)}`,
  );
  return { epochsDone: 1, complete: true, history, epochsThisCall: 1 };
}
