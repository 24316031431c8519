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
import { noProgress, type ProgressFactory } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import { faceInputs } from "../evaluate/predict_pairs.ts";
import type { SiameseModel } from "../model/siamese_model.ts";
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
  const rows = new DescribedRows(images.length);
  await describeEachBatch(model, faces, size, images, params, (batch) => rows.put(batch), options);
  return rows.done();
}

/**
 * {@linkcode describeFaces} without keeping the rows: `use` gets each batch of them as it is
 * done (`first`: its first face's index in `images`), in any order, while the workers go on.
 */
export async function describeEachBatch(
  model: SiameseModel,
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  params: DescriptorParams,
  use: (batch: DescribedBatch) => void,
  options: { workers?: number; progress?: ProgressFactory } = {},
): Promise<void> {
  const step = (options.progress ?? noProgress)("describing faces", images.length, "faces");
  const counted = (batch: DescribedBatch) => {
    use(batch);
    step.advance(batch.rows.length / batch.features);
  };
  try {
    await describeShares(model, faces, size, images, params, options.workers, counted);
  } finally {
    step.finish();
  }
}

async function describeShares(
  model: SiameseModel,
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  params: DescriptorParams,
  workerCount: number | undefined,
  use: (batch: DescribedBatch) => void,
): Promise<void> {
  const backend = tf.getBackend();
  const batches = Math.ceil(images.length / DESCRIPTOR_BATCH);
  const workers = backend === "wasm" || backend === "cpu"
    ? Math.min(workerCount ?? (navigator.hardwareConcurrency || 1), batches)
    : 1;
  if (workers <= 1) {
    return describeBatches(
      model,
      faces,
      size,
      images,
      params,
      (first, rows, features) => use({ first, rows, features }),
    );
  }
  const cpuBackend: DescribeRequest["backend"] = backend === "cpu" ? "cpu" : "wasm";
  // Contiguous shares of whole batches, one per worker.
  const shares = Array.from({ length: workers }, (_, w) => {
    const from = Math.round((batches * w) / workers) * DESCRIPTOR_BATCH;
    const to = Math.min(
      images.length,
      Math.round((batches * (w + 1)) / workers) * DESCRIPTOR_BATCH,
    );
    return { from, faces: pickFaces(faces, size, images, from, to) };
  });
  // mapLimit waits for every worker before it reports a failure: none outlives the fit. Each
  // batch's rows are used as they come, while the workers go on.
  await mapLimit(
    shares,
    (share) =>
      describeInWorker(
        { model: model.name, backend: cpuBackend, faces: share.faces, size, params },
        (batch) => use({ ...batch, first: share.from + batch.first }),
      ),
    { limit: workers },
  );
}

/** One batch of described faces: rows [faces, features] from face `first` on. */
export interface DescribedBatch {
  first: number;
  rows: Float32Array;
  features: number;
}

/**
 * The rows [faces, features] of `faces` faces, put in place batch by batch (from this thread or
 * from workers, in any order); allocated when the first batch tells the features.
 */
class DescribedRows {
  #rows?: Float32Array;
  #features = 0;
  #filled = 0;
  constructor(readonly faces: number) {}

  put({ first, rows, features }: DescribedBatch): void {
    if (!this.#rows) {
      this.#features = features;
      this.#rows = new Float32Array(this.faces * features);
    }
    if (features !== this.#features) {
      throw new Error(`describing faces: a batch of ${features} values, not ${this.#features}`);
    }
    this.#rows.set(rows, first * features);
    this.#filled += rows.length / features;
  }

  done(): { rows: Float32Array; features: number } {
    if (this.#filled !== this.faces) {
      throw new Error(`describing faces: ${this.#filled} of ${this.faces} faces described`);
    }
    return { rows: this.#rows ?? new Float32Array(0), features: this.#features };
  }
}

/** The bytes of faces `images[from .. to)`, back to back. */
export function pickFaces(
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

/**
 * Describes `images` of `faces` in this thread, batch by batch, giving `use` each batch's rows
 * (their own buffer, free to move to another thread) and its first face's index in `images`.
 */
export async function describeBatches(
  model: SiameseModel,
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
  params: DescriptorParams,
  use: (first: number, rows: Float32Array, features: number) => void,
): Promise<void> {
  const fitted = model.fitted;
  if (!fitted) throw new Error(`model ${model.name} has no descriptor`);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, p] of params) tensors[name] = tf.tensor(p.values, p.shape);
  try {
    for (let start = 0; start < images.length; start += DESCRIPTOR_BATCH) {
      const count = Math.min(DESCRIPTOR_BATCH, images.length - start);
      const input = faceInputs(faces, size, images, start, count);
      const out = tf.tidy(() =>
        fitted.descriptor(tf.tensor4d(input, [count, size, size, 1]), tensors)
      );
      const features = out.shape[1];
      const rows = await out.data() as Float32Array;
      out.dispose();
      use(start, rows, features);
      await yieldToEventLoop(); // Ctrl-C, progress
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * {@linkcode describeBatches} of `request`'s faces in a worker of its own, each batch given to
 * `described` as it comes.
 */
function describeInWorker(
  request: DescribeRequest,
  described: (batch: DescribedBatch) => void,
): Promise<void> {
  return callWorker(DESCRIBE_WORKER, request, {
    label: "describing faces",
    partial: (batch) => described(batch as DescribedBatch),
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
