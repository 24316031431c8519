/**
 * One optimiser step on one batch, on the current thread.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelParams } from "../model/model_params.ts";
import type { Adam } from "./adam.ts";
import { type ObjectiveLoss, objectiveLoss } from "./objective.ts";
import type { ForwardContext, PairContexts } from "../model/siamese_model.ts";
import { type NoiseKey, pairTrainingContexts, type StateUpdates } from "./forward_context.ts";
import type { Batch } from "./pair_batches.ts";

/** Summed loss and correct predictions of one step. */
export interface StepResult {
  /** Mean loss times the pairs of the batch. */
  lossSum: number;
  correct: number;
  /** Predictions `correct` counts (pairs, or images for identity objectives). */
  predictions: number;
}

/** What a step changes besides the batch: the learning rate's multiplier (schedules). */
export interface StepOptions {
  /** Multiplies the optimiser's learning rate for this step (default 1). */
  learningRateScale?: number;
}

/** Runs training steps; implementations differ in how many threads they use. */
export interface StepRunner {
  /** Threads the runner computes with. */
  readonly threads: number;
  /** One optimiser step on `batch` with the noise of `key`. */
  step(batch: Batch, key: NoiseKey, options?: StepOptions): Promise<StepResult>;
  /** Stops helper threads. */
  close(): void;
}

/** Moves each moving statistic towards its observed values, in the order they were observed. */
export function applyStateUpdates(
  params: ModelParams,
  updates: readonly { name: string; value: tf.Tensor | Float32Array }[],
): void {
  const momentum = params.model.movingAverageMomentum;
  tf.tidy(() => {
    for (const { name, value } of updates) {
      const moving = params.variable(name);
      const observed = value instanceof Float32Array ? tf.tensor(value, moving.shape) : value;
      moving.assign(tf.add(tf.mul(moving, momentum), tf.mul(observed, 1 - momentum)));
    }
  });
}

/**
 * The objective's loss of a batch in training mode, both sides embedded on this thread (what
 * every step differentiates; exported for the backend comparison tests).
 */
export function trainingLoss(params: ModelParams, batch: Batch, ctx: PairContexts): ObjectiveLoss {
  const model = params.model;
  const size = model.inputSize;
  const p = params.tensors();
  const embed = (images: Float32Array, side: ForwardContext) =>
    model.embed(p, tf.tensor4d(images, [batch.count, size, size, 1]), side);
  return objectiveLoss(
    model,
    p,
    {
      left: embed(batch.left, ctx.left),
      right: embed(batch.right, ctx.right),
    },
    batch.labels,
    ctx.head,
  );
}

/** The tensors a step leaves to read: the loss, the correct count, and what to free after. */
interface StepTensors {
  value: tf.Scalar;
  correct: tf.Scalar;
  predictions: number;
  count: number;
  dispose: tf.Tensor[];
}

/** Computes one optimiser step and applies it, leaving the loss and count to be read. */
function stepTensors(
  state: { params: ModelParams; adam: Adam },
  step: { batch: Batch; key: NoiseKey; options?: StepOptions },
): StepTensors {
  const { params, adam } = state;
  const { batch, key } = step;
  const updates = { left: [] as StateUpdates, right: [] as StateUpdates, head: [] as StateUpdates };
  const ctx = pairTrainingContexts(key, updates);
  const trainable = params.trainable();
  const nameOf = new Map([...trainable].map(([name, v]) => [v.name, name]));
  let correct: tf.Scalar | undefined;
  let predictions = 0;
  const { value, grads } = tf.variableGrads(() => {
    const result = trainingLoss(params, batch, ctx);
    correct = result.correct;
    predictions = result.predictions;
    return result.loss;
  }, [...trainable.values()]);
  adam.apply(
    trainable,
    new Map(Object.entries(grads).map(([varName, g]) => [nameOf.get(varName)!, g])),
    step.options?.learningRateScale,
  );
  const all = [...updates.left, ...updates.right, ...updates.head];
  applyStateUpdates(params, all);
  return {
    value,
    correct: correct!,
    predictions,
    count: batch.count,
    dispose: [...Object.values(grads), ...all.map((u) => u.value)],
  };
}

/** A step's result from its two read scalars; frees its tensors. */
function stepResult(t: StepTensors, loss: number, correct: number): StepResult {
  tf.dispose([t.value, t.correct, ...t.dispose]);
  return { lossSum: loss * t.count, correct, predictions: t.predictions };
}

/**
 * One optimiser step, entirely on the current thread, read synchronously (wasm, cpu and
 * tensorflow backends; WebGPU cannot read synchronously in Deno: use
 * {@linkcode localTrainStepAsync} there).
 */
export function localTrainStep(
  state: { params: ModelParams; adam: Adam },
  step: { batch: Batch; key: NoiseKey; options?: StepOptions },
): StepResult {
  const t = stepTensors(state, step);
  return stepResult(t, t.value.dataSync()[0], t.correct.dataSync()[0]);
}

/**
 * {@linkcode localTrainStep} with the loss and count read asynchronously, so it runs on every
 * backend, WebGPU included; the same computation, so the same values.
 */
export async function localTrainStepAsync(
  state: { params: ModelParams; adam: Adam },
  step: { batch: Batch; key: NoiseKey; options?: StepOptions },
): Promise<StepResult> {
  const t = stepTensors(state, step);
  const [loss, correct] = await Promise.all([t.value.data(), t.correct.data()]);
  return stepResult(t, loss[0], correct[0]);
}

/** A {@linkcode StepRunner} on the current thread. */
export class LocalStepRunner implements StepRunner {
  readonly threads = 1;
  readonly #params: ModelParams;
  readonly #adam: Adam;

  /** Steps `params` with `adam`. */
  constructor(params: ModelParams, adam: Adam) {
    this.#params = params;
    this.#adam = adam;
  }

  step(batch: Batch, key: NoiseKey, options?: StepOptions): Promise<StepResult> {
    return localTrainStepAsync({ params: this.#params, adam: this.#adam }, { batch, key, options });
  }

  close(): void {}
}

/** The training-mode loss tensor of a batch with the noise of `key`. */
function batchLossTensor(params: ModelParams, batch: Batch, key: NoiseKey) {
  const updates = { left: [] as StateUpdates, right: [] as StateUpdates, head: [] as StateUpdates };
  const loss = tf.tidy(() => {
    const result = trainingLoss(params, batch, pairTrainingContexts(key, updates));
    result.correct.dispose();
    return result.loss;
  });
  tf.dispose([...updates.left, ...updates.right, ...updates.head].map((u) => u.value));
  return loss;
}

/** The training-mode loss of a batch with the noise of `key`, without changing anything. */
export function batchLoss(params: ModelParams, batch: Batch, key: NoiseKey): number {
  const loss = batchLossTensor(params, batch, key);
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

/** {@linkcode batchLoss} read asynchronously (every backend, WebGPU included). */
export async function batchLossAsync(
  params: ModelParams,
  batch: Batch,
  key: NoiseKey,
): Promise<number> {
  const loss = batchLossTensor(params, batch, key);
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}
