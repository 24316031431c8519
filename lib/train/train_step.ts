/**
 * One optimiser step on one batch, on the current thread.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelParams } from "../model/model_params.ts";
import { BN_MOMENTUM } from "../model/seed_model.ts";
import { forwardPairs } from "../model/siamese_model.ts";
import type { Adam } from "./adam.ts";
import { type NoiseKey, pairTrainingContexts, type StateUpdates } from "./forward_context.ts";
import type { Batch } from "./pair_batches.ts";

/** Summed loss and correct predictions of one step. */
export interface StepResult {
  lossSum: number;
  correct: number;
}

/** Runs training steps; implementations differ in how many threads they use. */
export interface StepRunner {
  /** Threads the runner computes with. */
  readonly threads: number;
  /** One optimiser step on `batch` with the noise of `key`. */
  step(batch: Batch, key: NoiseKey): Promise<StepResult>;
  /** Stops helper threads. */
  close(): void;
}

/** Moves each moving statistic towards its observed values, in the order they were observed. */
export function applyStateUpdates(
  params: ModelParams,
  updates: readonly { name: string; value: tf.Tensor | Float32Array }[],
): void {
  tf.tidy(() => {
    for (const { name, value } of updates) {
      const moving = params.variable(name);
      const observed = value instanceof Float32Array ? tf.tensor(value, moving.shape) : value;
      moving.assign(tf.add(tf.mul(moving, BN_MOMENTUM), tf.mul(observed, 1 - BN_MOMENTUM)));
    }
  });
}

/** Counts logits on the right side of 0 (probability 0.5). */
export function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let k = 0; k < labels.length; k++) if ((logits[k] >= 0 ? 1 : 0) === labels[k]) correct++;
  return correct;
}

/** One optimiser step, entirely on the current thread. */
export function localTrainStep(
  state: { params: ModelParams; adam: Adam },
  step: { batch: Batch; key: NoiseKey },
): StepResult {
  const { params, adam } = state;
  const { batch, key } = step;
  const model = params.model;
  const size = model.inputSize;
  const updates = { left: [] as StateUpdates, right: [] as StateUpdates, head: [] as StateUpdates };
  const ctx = pairTrainingContexts(key, updates);
  const trainable = params.trainable();
  const nameOf = new Map([...trainable].map(([name, v]) => [v.name, name]));
  let logits: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const left = tf.tensor4d(batch.left, [batch.count, size, size, 1]);
    const right = tf.tensor4d(batch.right, [batch.count, size, size, 1]);
    const labels = tf.tensor2d(batch.labels, [batch.count, 1]);
    const z = forwardPairs(model, params.tensors(), left, right, ctx);
    logits = tf.keep(z);
    return tf.losses.sigmoidCrossEntropy(labels, z) as tf.Scalar;
  }, [...trainable.values()]);
  adam.apply(
    trainable,
    new Map(Object.entries(grads).map(([varName, g]) => [nameOf.get(varName)!, g])),
  );
  const all = [...updates.left, ...updates.right, ...updates.head];
  applyStateUpdates(params, all);
  const loss = value.dataSync()[0];
  const correct = countCorrect(logits!.dataSync(), batch.labels);
  tf.dispose([value, logits!, ...Object.values(grads), ...all.map((u) => u.value)]);
  return { lossSum: loss * batch.count, correct };
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

  step(batch: Batch, key: NoiseKey): Promise<StepResult> {
    return Promise.resolve(
      localTrainStep({ params: this.#params, adam: this.#adam }, { batch, key }),
    );
  }

  close(): void {}
}

/** The training-mode loss of a batch with the noise of `key`, without changing anything. */
export function batchLoss(params: ModelParams, batch: Batch, key: NoiseKey): number {
  const size = params.model.inputSize;
  const updates = { left: [] as StateUpdates, right: [] as StateUpdates, head: [] as StateUpdates };
  const loss = tf.tidy(() => {
    const left = tf.tensor4d(batch.left, [batch.count, size, size, 1]);
    const right = tf.tensor4d(batch.right, [batch.count, size, size, 1]);
    const labels = tf.tensor2d(batch.labels, [batch.count, 1]);
    const z = forwardPairs(
      params.model,
      params.tensors(),
      left,
      right,
      pairTrainingContexts(key, updates),
    );
    return tf.losses.sigmoidCrossEntropy(labels, z).dataSync()[0];
  });
  tf.dispose([...updates.left, ...updates.right, ...updates.head].map((u) => u.value));
  return loss;
}
