/**
 * Worker that runs the model's shared branch for one side of each batch, forward and backward,
 * on its own thread and its own wasm instance. Within one step it writes the embeddings into
 * shared memory and tells the main thread, blocks until the main thread has written their
 * gradient there, then finishes backpropagation and writes the branch's weight gradients into
 * shared memory too (copying into existing buffers avoids fresh arrays; see `tensor_copy.ts`).
 * @module
 */
/// <reference lib="deno.worker" />
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../backend/select_backend.ts";
import { copyTensorValues } from "../backend/tensor_copy.ts";
import { getModel } from "../model/registry.ts";
import type { SiameseModel } from "../model/siamese_model.ts";
import { type NoiseKey, partRng, type StateUpdates, trainingContext } from "./forward_context.ts";
import { workerFailure } from "../util/worker_failure.ts";

/** The first message: model, and the memory shared with the main thread. */
export interface BranchInit {
  model: string;
  /**
   * The branch weights, one after another in `names` order, written by the main thread between
   * steps (sharing them saves cloning 6.5 MB per worker and step).
   */
  weights: SharedArrayBuffer;
  names: string[];
  /** This worker's weight gradients, laid out as `weights` (non-trainable slots unused). */
  gradients: SharedArrayBuffer;
  /**
   * Int32 flag at 0 (1 = gradient ready), then float32 embeddings from byte 16, then their
   * gradients, each region `embeddingValues` long.
   */
  shared: SharedArrayBuffer;
  /** The largest batch times the embedding size. */
  embeddingValues: number;
}

/** A step request for one side. */
export interface BranchStep {
  images: Float32Array;
  count: number;
  key: NoiseKey;
  side: "left" | "right";
  /** Whether the shared branch weights changed since the last step. */
  weightsChanged: boolean;
}

let model: SiameseModel;
let variables = new Map<string, tf.Variable>();
let flag: Int32Array;
let sharedWeights: [string, Float32Array][] = [];
let sharedGradients = new Map<string, Float32Array>();
let embeddingOut: Float32Array;
let gradient: Float32Array;

function setWeights(weights: [string, Float32Array][]): void {
  // tidy frees the temporary tensors; assign copies their data into the variables.
  tf.tidy(() => {
    for (const [name, values] of weights) {
      const existing = variables.get(name);
      if (existing) existing.assign(tf.tensor(values, existing.shape));
      else {
        const spec = model.params.find((p) => p.name === name)!;
        variables.set(name, tf.variable(tf.tensor(values, spec.shape), spec.trainable));
      }
    }
  });
}

async function init(message: BranchInit): Promise<void> {
  await selectBackend("wasm", { log: () => {} });
  model = getModel(message.model);
  variables = new Map();
  sharedGradients = new Map();
  let offset = 0;
  sharedWeights = message.names.map((name) => {
    const size = model.params.find((p) => p.name === name)!.shape.reduce((a, b) => a * b, 1);
    const view = new Float32Array(message.weights, 4 * offset, size);
    sharedGradients.set(name, new Float32Array(message.gradients, 4 * offset, size));
    offset += size;
    return [name, view];
  });
  setWeights(sharedWeights);
  flag = new Int32Array(message.shared, 0, 1);
  embeddingOut = new Float32Array(message.shared, 16, message.embeddingValues);
  gradient = new Float32Array(message.shared, 16 + 4 * message.embeddingValues);
}

function step(message: BranchStep): void {
  if (message.weightsChanged) setWeights(sharedWeights);
  const size = model.inputSize;
  const updates: StateUpdates = [];
  const ctx = trainingContext(partRng(message.key, message.side), updates);
  const trainable = [...variables.values()].filter((v) => v.trainable);
  const nameOf = new Map([...variables].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => {
    const x = tf.tensor4d(message.images, [message.count, size, size, 1]);
    const embedding = model.embed(Object.fromEntries(variables), x, ctx);
    copyTensorValues(embedding, embeddingOut);
    self.postMessage({ type: "embedding", size: embedding.size });
    // The main thread computes the head and writes d(loss)/d(embedding) into shared memory.
    Atomics.wait(flag, 0, 0);
    Atomics.store(flag, 0, 0);
    // The backend copies the values into its heap at once, so the shared view is safe to pass.
    const upstream = tf.tensor(gradient.subarray(0, embedding.size), embedding.shape);
    // d/dW of sum(embedding * upstream) is the branch's share of d(loss)/dW.
    return tf.sum(tf.mul(embedding, upstream)) as tf.Scalar;
  }, trainable);
  const written: string[] = [];
  for (const [varName, g] of Object.entries(grads)) {
    const name = nameOf.get(varName)!;
    copyTensorValues(g, sharedGradients.get(name)!);
    written.push(name);
  }
  const observed: [string, Float32Array][] = updates.map((
    u,
  ) => [u.name, u.value.dataSync() as Float32Array]);
  tf.dispose([value, ...Object.values(grads), ...updates.map((u) => u.value)]);
  self.postMessage(
    { type: "gradients", written, updates: observed, tensors: tf.memory().numTensors },
    observed.map(([, a]) => a.buffer as ArrayBuffer),
  );
}

self.onmessage = async (event: MessageEvent) => {
  try {
    if (event.data.init) {
      await init(event.data.init as BranchInit);
      self.postMessage({ type: "ready" });
    } else step(event.data.step as BranchStep);
  } catch (error) {
    const failure = workerFailure(error);
    self.postMessage({
      type: "error",
      message: failure.user ? failure.message : failure.stack ?? failure.message,
      user: failure.user,
    });
  }
};
