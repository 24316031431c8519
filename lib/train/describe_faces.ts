/**
 * A fitted model's descriptors of many faces (the costly part of a one-pass fit: Fisher vectors
 * take 10-30 ms a face on one core), computed in batches in this thread or, on the CPU
 * backends, split between one worker per core, each with its own backend instance. The split
 * falls on batch boundaries, so every face is described in the same batch as in one thread and
 * the values are the same.
 *
 * @example
 * ```ts
 * const { rows, features } = await describeFaces(model, faces, 64, trainImages, encoderValues);
 * ```
 * @module
 */
import { noProgress, type ProgressFactory, type ProgressSink } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import { faceInputs } from "../evaluate/predict_pairs.ts";
import type { SiameseModel } from "../model/siamese_model.ts";
import { concatRows } from "../util/concat_rows.ts";
import { mapLimit } from "../util/concurrency.ts";
import { callWorker, yieldToEventLoop } from "../util/worker_call.ts";
import { WorkerCode } from "../pipeline/worker_code.ts";

/** The describing workers' module (its code checked before each starts). */
const DESCRIBE_WORKER = new WorkerCode(new URL("./describe_worker.ts", import.meta.url));

/** Images fed to the descriptor at once. */
export const DESCRIPTOR_BATCH = 64;

/** A descriptor's parameter values (an encoder's) by name, with their shapes. */
export type DescriptorParams = Map<string, { values: Float32Array; shape: number[] }>;

/** What a describing worker gets: the model's registry name, its faces and parameters. */
export interface DescribeRequest {
  model: string;
  backend: "wasm" | "cpu";
  /** The faces to describe, count x size x size bytes. */
  faces: Uint8Array;
  size: number;
  params: DescriptorParams;
}

/**
 * The descriptors of `images` (indices into `faces`), row-major [images, features]. On the CPU
 * backends `options.workers` workers (default: one per core) share the batches;
 * `options.progress` shows the faces described.
 */
export async function describeFaces(
  model: SiameseModel,
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  params: DescriptorParams = new Map(),
  options: { workers?: number; progress?: ProgressFactory } = {},
): Promise<{ rows: Float32Array; features: number }> {
  const step = (options.progress ?? noProgress)("describing faces", images.length, "faces");
  try {
    return await describeWithProgress(model, faces, size, images, params, options.workers, step);
  } finally {
    step.finish();
  }
}

async function describeWithProgress(
  model: SiameseModel,
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  params: DescriptorParams,
  workerCount: number | undefined,
  step: ProgressSink,
): Promise<{ rows: Float32Array; features: number }> {
  const backend = tf.getBackend();
  const batches = Math.ceil(images.length / DESCRIPTOR_BATCH);
  const workers = backend === "wasm" || backend === "cpu"
    ? Math.min(workerCount ?? (navigator.hardwareConcurrency || 1), batches)
    : 1;
  const advance = (n: number) => step.advance(n);
  if (workers <= 1) return describeInThread(model, faces, size, images, params, advance);
  const cpuBackend: DescribeRequest["backend"] = backend === "cpu" ? "cpu" : "wasm";
  // Contiguous shares of whole batches, one per worker.
  const shares = Array.from({ length: workers }, (_, w) => {
    const from = Math.round((batches * w) / workers) * DESCRIPTOR_BATCH;
    const to = Math.min(
      images.length,
      Math.round((batches * (w + 1)) / workers) * DESCRIPTOR_BATCH,
    );
    return pickFaces(faces, size, images, from, to);
  });
  // mapLimit waits for every worker before it reports a failure: none outlives the fit.
  const parts = await mapLimit(
    shares,
    (share) =>
      describeInWorker(
        { model: model.name, backend: cpuBackend, faces: share, size, params },
        advance,
      ),
    { limit: workers },
  );
  return { rows: concatRows(parts.map((part) => part.rows)), features: parts[0].features };
}

/** The bytes of faces `images[from .. to)`, back to back. */
function pickFaces(
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  from: number,
  to: number,
): Uint8Array {
  const area = size * size;
  const out = new Uint8Array((to - from) * area);
  for (let i = from; i < to; i++) {
    out.set(faces.subarray(images[i] * area, (images[i] + 1) * area), (i - from) * area);
  }
  return out;
}

/** {@linkcode describeFaces} in this thread, batch by batch; `described(n)` after each batch. */
export async function describeInThread(
  model: SiameseModel,
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  params: DescriptorParams,
  described: (count: number) => void = () => {},
): Promise<{ rows: Float32Array; features: number }> {
  const fitted = model.fitted;
  if (!fitted) throw new Error(`model ${model.name} has no descriptor`);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, p] of params) tensors[name] = tf.tensor(p.values, p.shape);
  const parts: Float32Array[] = [];
  let features = 0;
  try {
    for (let start = 0; start < images.length; start += DESCRIPTOR_BATCH) {
      const count = Math.min(DESCRIPTOR_BATCH, images.length - start);
      const input = faceInputs(faces, size, images, start, count);
      const out = tf.tidy(() =>
        fitted.descriptor(tf.tensor4d(input, [count, size, size, 1]), tensors)
      );
      features = out.shape[1];
      parts.push(await out.data() as Float32Array);
      out.dispose();
      described(count);
      await yieldToEventLoop(); // Ctrl-C, progress
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return { rows: concatRows(parts), features };
}

/** {@linkcode describeInThread} of `request`'s faces in a worker of its own. */
function describeInWorker(
  request: DescribeRequest,
  described: (count: number) => void,
): Promise<{ rows: Float32Array; features: number }> {
  return callWorker(DESCRIBE_WORKER, request, {
    label: "describing faces",
    progress: described,
    transfer: [request.faces.buffer as ArrayBuffer],
  });
}

/** The faces `images` of `faces` (size x size bytes each), each mirrored left to right, in order. */
export function mirroredFaces(
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
): Uint8Array {
  const area = size * size;
  const out = new Uint8Array(images.length * area);
  for (let k = 0; k < images.length; k++) {
    const from = images[k] * area, to = k * area;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) out[to + y * size + x] = faces[from + y * size + size - 1 - x];
    }
  }
  return out;
}
