/**
 * The speed figures of `deno task bench`: forward images/s, training pairs/s (the seed model,
 * batch 128, warmed up, random inputs as the PyTorch reference uses), augmentation images/s,
 * prepare images/s, CPU use and peak memory.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { AffineAugmenter, AUGMENT_DEFAULTS } from "../augment/affine_augmenter.ts";
import type { PrepareParams } from "../config/defaults.ts";
import type { ImageSource } from "../data/image_source.ts";
import { prepareFaces } from "../data/prepare_faces.ts";
import { initialParamArrays, ModelParams } from "../model/model_params.ts";
import { SEED_MODEL } from "../model/seed_model.ts";
import { Adam } from "../train/adam.ts";
import { INFERENCE_CONTEXT } from "../train/forward_context.ts";
import type { Batch } from "../train/pair_batches.ts";
import { SideParallelStepRunner } from "../train/side_parallel_step.ts";
import { LocalStepRunner, type StepRunner } from "../train/train_step.ts";
import { Rng } from "../util/rng.ts";
import { join } from "node:path";
import { lfwDataRoot } from "../config/defaults.ts";
import { FaceComparer } from "../compare/face_comparer.ts";
import { readFaceImage } from "../compare/face_image.ts";
import type { ArtifactStore } from "../pipeline/artifact_store.ts";

/** CPU seconds (user + system) this process has used so far, all threads; NaN if unknown. */
export function processCpuSeconds(): number {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Samples resident memory every 50 ms until stopped; returns the peak in MiB. */
export function watchPeakMemory(): { stop(): number } {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, Deno.memoryUsage().rss) / 2 ** 20;
    },
  };
}

function randomBatch(count: number, size: number, seed: number): Batch {
  const rng = new Rng(seed);
  return {
    left: Float32Array.from({ length: count * size * size }, () => rng.nextFloat()),
    right: Float32Array.from({ length: count * size * size }, () => rng.nextFloat()),
    labels: Float32Array.from({ length: count }, () => rng.nextInt(2)),
    count,
  };
}

/** Training throughput of the seed model. */
export interface TrainingFigures {
  pairsPerSecond: number;
  threads: number;
  /** CPU use during the timed steps, in % of one core (200% = both cores busy). */
  cpuPercent: number;
  steps: number;
}

/**
 * The seed model's training step, kept warm between timed windows so that the benchmark can
 * alternate its windows with the PyTorch reference's runs (see `reference_rounds.ts`).
 */
export class TrainingBenchmark {
  readonly batchSize: number;
  #params: ModelParams;
  #adam: Adam;
  #runner: StepRunner;
  #batch: Batch;
  #stepsRun = 0;

  /** Builds the model, the optimiser and the step runner (two threads when `threads` >= 2). */
  constructor(options: { threads: number; batchSize?: number }) {
    this.batchSize = options.batchSize ?? 128;
    this.#params = new ModelParams(SEED_MODEL, initialParamArrays(SEED_MODEL, new Rng(1)));
    this.#adam = new Adam();
    this.#runner = options.threads >= 2
      ? new SideParallelStepRunner(this.#params, this.#adam, { maxBatch: this.batchSize })
      : new LocalStepRunner(this.#params, this.#adam);
    this.#batch = randomBatch(this.batchSize, SEED_MODEL.inputSize, 2);
  }

  /** Runs `steps` untimed steps (kernel set-up, memory growth, worker start). */
  async warmUp(steps = 2): Promise<void> {
    for (let i = 0; i < steps; i++) await this.#step();
  }

  /** Times `steps` training steps. */
  async measure(steps: number): Promise<TrainingFigures> {
    const cpu0 = processCpuSeconds();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await this.#step();
    const seconds = (performance.now() - t0) / 1000;
    return {
      pairsPerSecond: (steps * this.batchSize) / seconds,
      threads: this.#runner.threads,
      cpuPercent: (100 * (processCpuSeconds() - cpu0)) / seconds,
      steps,
    };
  }

  /** Stops the workers and frees the tensors. */
  close(): void {
    this.#runner.close();
    this.#params.dispose();
    this.#adam.dispose();
  }

  async #step(): Promise<void> {
    await this.#runner.step(this.#batch, { seed: 1, epoch: 0, batch: this.#stepsRun++ });
  }
}

/** Forward (inference) images/s of the seed model's branch on one thread. */
export function benchmarkForward(images = 512): number {
  const params = new ModelParams(SEED_MODEL, initialParamArrays(SEED_MODEL, new Rng(1)));
  const x = tf.randomUniform([
    images,
    SEED_MODEL.inputSize,
    SEED_MODEL.inputSize,
    1,
  ]) as tf.Tensor4D;
  const run = () =>
    tf.tidy(() => SEED_MODEL.embed(params.tensors(), x, INFERENCE_CONTEXT).dataSync());
  run();
  const t0 = performance.now();
  run();
  run();
  const rate = (2 * images) / ((performance.now() - t0) / 1000);
  x.dispose();
  params.dispose();
  return rate;
}

/** Augmentation images/s on one core (32x32 faces, the default ranges). */
export function benchmarkAugmentation(images = 40_000): number {
  const size = SEED_MODEL.inputSize;
  const augmenter = new AffineAugmenter(AUGMENT_DEFAULTS, size);
  const rng = new Rng(3);
  const face = Uint8Array.from({ length: size * size }, () => rng.nextInt(256));
  const out = new Float32Array(size * size);
  const t0 = performance.now();
  for (let i = 0; i < images; i++) augmenter.apply(face, augmenter.sample(rng), out);
  return images / ((performance.now() - t0) / 1000);
}

/** prepare images/s on the first `limit` images of a source. */
export async function benchmarkPrepare(
  source: ImageSource,
  options: { params: PrepareParams; limit: number },
): Promise<number> {
  const { params, limit } = options;
  const subset = { ...source, images: source.images.slice(0, limit) };
  const t0 = performance.now();
  await prepareFaces(subset, params);
  return subset.images.length / ((performance.now() - t0) / 1000);
}

/**
 * Times `compare` in one process: opening experiment `name` and comparing a first pair of LFW
 * photos (cold start), then a second pair (photos read, cropped and compared).
 */
export async function benchmarkCompare(
  store: ArtifactStore,
  name: string,
): Promise<{ compareColdStartMs: number; compareSecondMs: number }> {
  const lfw = join(lfwDataRoot(), "lfw-deepfunneled");
  const photos = [
    "AJ_Cook/AJ_Cook_0001.jpg",
    "Tony_Blair/Tony_Blair_0001.jpg",
    "Colin_Powell/Colin_Powell_0001.jpg",
    "Colin_Powell/Colin_Powell_0002.jpg",
  ]
    .map((p) => join(lfw, p));
  const t0 = performance.now();
  const comparer = await FaceComparer.open(store, name);
  const pair = async (a: string, b: string) =>
    await comparer.compare([[
      await readFaceImage(a, comparer.prepare),
      await readFaceImage(b, comparer.prepare),
    ]]);
  await pair(photos[0], photos[1]);
  const cold = performance.now() - t0;
  const t1 = performance.now();
  await pair(photos[2], photos[3]);
  const second = performance.now() - t1;
  comparer.dispose();
  return { compareColdStartMs: cold, compareSecondMs: second };
}
