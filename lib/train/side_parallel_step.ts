/**
 * Training steps on two threads: the shared branch runs for the left images in one worker and
 * for the right images in another, each with its own wasm instance, while the main thread runs
 * the small head and the optimiser. The arithmetic is the single-thread step's: the same
 * noise streams, batch statistics per side, and weight gradients summed over both sides.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { copyTensorValues } from "../backend/tensor_copy.ts";
import { WorkerCode } from "../pipeline/worker_code.ts";
import { UserError } from "../util/errors.ts";
import type { ModelParams } from "../model/model_params.ts";
import type { Adam } from "./adam.ts";
import type { BranchInit, BranchStep } from "./branch_worker.ts";
import { type NoiseKey, partRng, type StateUpdates, trainingContext } from "./forward_context.ts";
import type { Batch } from "./pair_batches.ts";
import { objectiveLoss } from "./objective.ts";
import {
  applyStateUpdates,
  type StepOptions,
  type StepResult,
  type StepRunner,
} from "./train_step.ts";

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The branch workers' module (its code checked before each starts). */
const BRANCH_WORKER = new WorkerCode(new URL("./branch_worker.ts", import.meta.url));

/** One branch worker and the memory it shares with the main thread. */
class BranchThread {
  readonly worker: Worker;
  readonly flag: Int32Array;
  readonly embedding: Float32Array;
  readonly gradient: Float32Array;
  /** The worker's weight gradients after each step, laid out as the shared weights. */
  readonly weightGradients: Float32Array;
  readonly #waiting: Pending[] = [];

  constructor(
    init: Omit<BranchInit, "shared" | "gradients" | "embeddingValues">,
    maxValues: number,
  ) {
    const shared = new SharedArrayBuffer(16 + 8 * maxValues);
    this.flag = new Int32Array(shared, 0, 1);
    this.embedding = new Float32Array(shared, 16, maxValues);
    this.gradient = new Float32Array(shared, 16 + 4 * maxValues, maxValues);
    this.weightGradients = new Float32Array(
      new SharedArrayBuffer(init.weights.byteLength),
    );
    this.worker = BRANCH_WORKER.start();
    this.worker.onmessage = (event: MessageEvent) => {
      const next = this.#waiting.shift();
      if (!next) return;
      if (event.data.type === "error") {
        next.reject(
          event.data.user
            ? new UserError(event.data.message)
            : new Error(`branch worker: ${event.data.message}`),
        );
      } else next.resolve(event.data);
    };
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      for (const p of this.#waiting.splice(0)) {
        p.reject(new Error(`branch worker failed: ${event.message}`));
      }
    };
    this.worker.postMessage({
      init: {
        ...init,
        shared,
        gradients: this.weightGradients.buffer as SharedArrayBuffer,
        embeddingValues: maxValues,
      },
    });
  }

  /** The next message from the worker. */
  next<T>(): Promise<T> {
    return new Promise((resolve, reject) =>
      this.#waiting.push({ resolve: resolve as (v: unknown) => void, reject })
    );
  }

  /** Hands the embedding gradient to the blocked worker. */
  sendGradient(values: Float32Array): void {
    this.gradient.set(values);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }
}

/** A {@linkcode StepRunner} that uses two worker threads for the two sides. */
export class SideParallelStepRunner implements StepRunner {
  readonly threads = 2;
  readonly #params: ModelParams;
  readonly #adam: Adam;
  readonly #threads: [BranchThread, BranchThread];
  readonly #ready: Promise<unknown>;
  readonly #branchNames: string[];
  readonly #weights: Float32Array;
  /** Where each branch parameter lies in the shared weights and gradients. */
  readonly #slots = new Map<string, { offset: number; size: number }>();
  #weightsChanged = false;
  /** Live tensors in each worker after its last step (for leak checks). */
  workerTensors: [number, number] = [0, 0];

  /** Starts the two workers with the current branch weights of `params`. */
  constructor(params: ModelParams, adam: Adam, options: { maxBatch: number }) {
    this.#params = params;
    this.#adam = adam;
    const model = params.model;
    this.#branchNames = model.params.filter((p) => p.part === "branch").map((p) => p.name);
    const embedding = model.embeddingSize;
    const sizes = this.#branchNames.map((name) => params.variable(name).size);
    let offset = 0;
    this.#branchNames.forEach((name, i) => {
      this.#slots.set(name, { offset, size: sizes[i] });
      offset += sizes[i];
    });
    this.#weights = new Float32Array(
      new SharedArrayBuffer(4 * sizes.reduce((a, b) => a + b, 0)),
    );
    this.#writeBranchWeights();
    const init = {
      model: model.name,
      weights: this.#weights.buffer as SharedArrayBuffer,
      names: this.#branchNames,
    };
    const first = new BranchThread(init, options.maxBatch * embedding);
    try {
      this.#threads = [first, new BranchThread(init, options.maxBatch * embedding)];
    } catch (error) {
      first.worker.terminate();
      throw error;
    }
    this.#ready = Promise.all(this.#threads.map((t) => t.next()));
  }

  /** Copies the branch weights into the shared buffer (only while the workers are idle). */
  #writeBranchWeights(): void {
    for (const name of this.#branchNames) {
      copyTensorValues(this.#params.variable(name), this.#weights, this.#slots.get(name)!);
    }
  }

  async step(batch: Batch, key: NoiseKey, options?: StepOptions): Promise<StepResult> {
    await this.#ready;
    const params = this.#params;
    const weightsChanged = this.#weightsChanged;
    if (weightsChanged) this.#writeBranchWeights();
    this.#weightsChanged = false;
    const sides = ["left", "right"] as const;
    // Waiters are registered before the step is sent, so no message arrives unawaited.
    const embeddings = this.#threads.map((t) => t.next<{ size: number }>());
    this.#threads.forEach((t, i) => {
      const step: BranchStep = {
        images: i === 0 ? batch.left : batch.right,
        count: batch.count,
        key,
        side: sides[i],
        weightsChanged,
      };
      t.worker.postMessage({ step });
    });
    const [left, right] = await Promise.all(embeddings);
    const branchResults = this.#threads.map((t) =>
      t.next<{ written: string[]; updates: [string, Float32Array][]; tensors: number }>()
    );

    // The head, on this thread: gradients for its weights and for both embeddings.
    const units = left.size / batch.count;
    const [leftValues, rightValues] = this.#threads.map((t, i) =>
      t.embedding.subarray(0, [left, right][i].size)
    );
    const headUpdates: StateUpdates = [];
    const ctx = trainingContext(partRng(key, "head"), headUpdates);
    // Tensors made from shared views must not outlive the step on backends that keep the array
    // (wasm copies it at once); el and er are disposed below, before the next step.
    const el = tf.tidy(() => tf.variable(tf.tensor2d(leftValues, [batch.count, units]), true));
    const er = tf.tidy(() => tf.variable(tf.tensor2d(rightValues, [batch.count, units]), true));
    const headVars = new Map(
      [...params.trainable()].filter(([name]) => !this.#branchNames.includes(name)),
    );
    const nameOf = new Map([...headVars].map(([name, v]) => [v.name, name]));
    let correct: tf.Scalar | undefined;
    let predictions = 0;
    const { value, grads } = tf.variableGrads(() => {
      const result = objectiveLoss(
        params.model,
        params.tensors(),
        { left: el, right: er },
        batch.labels,
        ctx,
      );
      correct = result.correct;
      predictions = result.predictions;
      return result.loss;
    }, [...headVars.values(), el, er]);
    this.#threads[0].sendGradient(grads[el.name].dataSync() as Float32Array);
    this.#threads[1].sendGradient(grads[er.name].dataSync() as Float32Array);
    const [fromLeft, fromRight] = await Promise.all(branchResults);
    this.workerTensors = [fromLeft.tensors, fromRight.tensors];

    // Branch gradients summed over the two sides, then one optimiser step for everything.
    const all = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) {
      const name = nameOf.get(varName);
      if (name) all.set(name, g);
    }
    const summed: tf.Tensor[] = [];
    const [leftGrads, rightGrads] = this.#threads.map((t) => t.weightGradients);
    for (const name of fromLeft.written) {
      const { offset, size } = this.#slots.get(name)!;
      const shape = params.variable(name).shape;
      const t = tf.tidy(() =>
        tf.add(
          tf.tensor(leftGrads.subarray(offset, offset + size), shape),
          tf.tensor(rightGrads.subarray(offset, offset + size), shape),
        )
      );
      summed.push(t);
      all.set(name, t);
    }
    this.#adam.apply(params.trainable(), all, options?.learningRateScale);
    this.#weightsChanged = true;
    applyStateUpdates(params, [
      ...fromLeft.updates.map(([name, value]) => ({ name, value })),
      ...fromRight.updates.map(([name, value]) => ({ name, value })),
      ...headUpdates,
    ]);
    const loss = value.dataSync()[0];
    const correctCount = correct!.dataSync()[0];
    tf.dispose([
      value,
      correct!,
      el,
      er,
      ...Object.values(grads),
      ...summed,
      ...headUpdates.map((u) => u.value),
    ]);
    return { lossSum: loss * batch.count, correct: correctCount, predictions };
  }

  close(): void {
    for (const t of this.#threads) t.worker.terminate();
  }
}
