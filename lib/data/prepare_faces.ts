/**
 * Turning a folder of face images into the prepared face array: LFWcrop's fixed box cut out of
 * each JPEG, resized to `size` x `size`, optionally converted to grey. PGM faces from LFWcrop
 * are already cropped and are only resized when their size differs.
 * @module
 */
import { join } from "node:path";
import type { PrepareParams } from "../config/defaults.ts";
import { mapLimit } from "../util/concurrency.ts";
import { UserError } from "../util/errors.ts";
import { Progress } from "../util/progress.ts";
import { WorkerCode } from "../pipeline/worker_code.ts";
import type { FaceArray, FaceEntry } from "./face_array.ts";
import type { ImageSource } from "./image_source.ts";
import { prepareFace } from "./face_preprocessing.ts";
import { jpegDecoder } from "./native_jpeg.ts";
import { type ImageProblem, imageProblem } from "./image_problem.ts";
import type { PrepareJob, PrepareMessage } from "./prepare_worker.ts";

/** The preparing workers' module (its code checked before each starts). */
const PREPARE_WORKER = new WorkerCode(new URL("./prepare_worker.ts", import.meta.url));

/** An image that could not be used, with the reason. */
export interface SkippedImage {
  file: string;
  reason: string;
}

/** The one-line error of an image that could not be prepared (without `--skip-bad`). */
function problemMessage(path: string, problem: ImageProblem, params: PrepareParams): string {
  switch (problem.kind) {
    case "box":
      return `image ${path} does not fit --box ${
        params.box.join(",")
      }: ${problem.reason} (give a larger --box, or --skip-bad to skip such images)`;
    case "large":
      return `image ${path} is too large to prepare: ${problem.reason} (use --skip-bad to skip it)`;
    default:
      return `corrupt or unreadable image ${path}: ${problem.reason} (use --skip-bad to skip it)`;
  }
}

/** The result of {@linkcode prepareFaces}. */
export interface PreparedFaces {
  faces: FaceArray;
  skipped: SkippedImage[];
}

// On this thread, files are read (and sharp decodes) on other threads while this one
// resamples: 4 in flight keep the reads ahead without oversubscribing two cores.
const IMAGES_IN_FLIGHT = 4;
/** Native-JPEG workers at most (one per core). */
const MAX_PREPARE_WORKERS = 4;

/**
 * Decodes one image file into `size` x `size` x channels bytes, by the project's one face
 * preprocessing (`face_preprocessing.ts`). Throws an Error (not a UserError: the caller adds
 * the file name) when the image is corrupt.
 */
export async function decodeFace(
  path: string,
  params: Pick<PrepareParams, "box" | "size" | "grey">,
): Promise<Uint8Array> {
  return await prepareFace(await Deno.readFile(path), params);
}

/** Bytes a prepared face set takes in memory (and on disk): faces x size x size x channels. */
export function preparedBytes(
  images: number,
  params: Pick<PrepareParams, "size" | "grey">,
): number {
  return images * params.size * params.size * (params.grey ? 1 : 3);
}

/** Memory one native decoding worker takes beside the face array (measured: about 70 MB). */
const WORKER_BYTES = 96 * 2 ** 20;
/** Memory decoding on this thread with sharp takes beside the face array (measured: 75 MB). */
const MAIN_THREAD_BYTES = 128 * 2 ** 20;

/**
 * The peak memory of preparing faces: this process as it is (`processBytes`), the face array
 * (written in place and saved piece by piece, never copied whole), and the decoders' own memory
 * (each native worker's, or sharp's on this thread).
 */
export function preparePeakBytes(
  arrayBytes: number,
  workers: number,
  processBytes: number = Deno.memoryUsage().rss,
): number {
  return processBytes + arrayBytes + (workers > 0 ? workers * WORKER_BYTES : MAIN_THREAD_BYTES);
}

/**
 * Says how much memory preparing the faces takes at its peak before any image is decoded, and
 * refuses when the machine has not that much available (a `--size` too large for it).
 */
function assertMemoryFor(
  images: number,
  perImage: number,
  params: PrepareParams,
  workers: number,
): void {
  const bytes = images * perImage;
  const processBytes = Deno.memoryUsage().rss;
  const peak = preparePeakBytes(bytes, workers, processBytes);
  const available = Deno.systemMemoryInfo().available;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(2)} GB`;
  console.log(
    `prepare: ${images} faces of ${params.size}x${params.size} ${
      params.grey ? "grey" : "colour"
    } take ${gb(bytes)}; preparing them peaks at ${gb(peak)} of memory (this process and ${
      workers > 0 ? `${workers} decoding worker${workers > 1 ? "s" : ""}` : "its decoder"
    } included; ${gb(available)} available)`,
  );
  // What the process does not hold yet must be available.
  if (peak - processBytes > available * 0.9) {
    throw new UserError(
      `--size ${params.size}: ${images} faces need ${
        gb(peak - processBytes)
      } of memory, more than the ${gb(available)} available; choose a smaller --size`,
    );
  }
}

/**
 * Workers for `source`: grey JPEG folders of some size are decoded natively on one worker per
 * core (up to {@linkcode MAX_PREPARE_WORKERS}); otherwise none (everything on this thread).
 */
function prepareWorkers(source: ImageSource, params: PrepareParams): number {
  if (source.kind !== "lfw-jpeg" || !params.grey || source.images.length < 200) return 0;
  if (!jpegDecoder().available) return 0;
  return Math.max(1, Math.min(MAX_PREPARE_WORKERS, navigator.hardwareConcurrency));
}

/** Runs the native-JPEG workers over `source`'s images, interleaved between them. */
async function prepareInWorkers(
  source: ImageSource,
  params: PrepareParams,
  options: { workers: number; pixels: SharedArrayBuffer; perImage: number; progress: Progress },
): Promise<{ fallback: number[]; errors: ({ index: number } & ImageProblem)[] }> {
  const results = await Promise.all(
    Array.from({ length: options.workers }, (_, w) => {
      const indices = source.images.map((_, i) => i).filter((i) => i % options.workers === w);
      const job: PrepareJob = {
        dir: source.dir,
        files: indices.map((i) => source.images[i].file),
        indices,
        params: { box: params.box, size: params.size, grey: params.grey },
        pixels: options.pixels,
        perImage: options.perImage,
      };
      const worker = PREPARE_WORKER.start();
      return new Promise<{ fallback: number[]; errors: ({ index: number } & ImageProblem)[] }>(
        (resolve, reject) => {
          worker.onmessage = (event: MessageEvent<PrepareMessage>) => {
            const message = event.data;
            if ("progress" in message) options.progress.advance(message.progress);
            else {
              worker.terminate();
              resolve(message);
            }
          };
          worker.onerror = (event) => {
            event.preventDefault();
            worker.terminate();
            reject(new Error(`prepare worker failed: ${event.message}`));
          };
          worker.postMessage(job);
        },
      );
    }),
  );
  return {
    fallback: results.flatMap((r) => r.fallback),
    errors: results.flatMap((r) => r.errors),
  };
}

/**
 * Decodes every image of `source`. An image that cannot be prepared (corrupt, too large, too
 * small for the box) is a UserError naming the file and why, unless `params.skipBad`, in which
 * case it is left out with a warning and listed in `skipped` (as are the files the folder's
 * listing left out: `ImageSource.bad`).
 */
export async function prepareFaces(
  source: ImageSource,
  params: PrepareParams,
): Promise<PreparedFaces> {
  const channels = params.grey ? 1 : 3;
  const perImage = params.size * params.size * channels;
  const workers = prepareWorkers(source, params);
  assertMemoryFor(source.images.length, perImage, params, workers);
  // Each face is written into its slot of the one array as it is decoded (never a second
  // copy of the whole set); skipped images' slots are closed up at the end. The array is shared
  // with the workers that decode JPEGs natively.
  const n = source.images.length;
  let pixels: Uint8Array<ArrayBufferLike> = new Uint8Array(new SharedArrayBuffer(n * perImage));
  const progress = new Progress("prepare", n, { unit: "images" });
  const reasons: (string | undefined)[] = new Array(n).fill(undefined);
  const failed = (i: number, problem: ImageProblem) => {
    const path = join(source.dir, source.images[i].file);
    if (!params.skipBad) throw new UserError(problemMessage(path, problem, params));
    console.warn(`warning: skipping ${path}: ${problem.reason}`);
    reasons[i] = problem.reason;
  };
  // Files the folder listing left out (bad names, second files of one image, links to nothing).
  for (const b of source.bad) {
    console.warn(`warning: skipping ${join(source.dir, b.file)}: ${b.reason}`);
  }
  let pending = source.images.map((_, i) => i);
  if (workers > 0) {
    const { fallback, errors } = await prepareInWorkers(source, params, {
      workers,
      pixels: pixels.buffer as SharedArrayBuffer,
      perImage,
      progress,
    });
    for (const e of errors.sort((a, b) => a.index - b.index)) failed(e.index, e);
    pending = fallback.sort((a, b) => a - b);
  }
  // The rest (colour faces, PGM, PNG, rotated JPEGs, no native decoder) on this thread, with
  // sharp decoding on its own threads.
  await mapLimit(pending, async (i) => {
    try {
      pixels.set(await decodeFace(join(source.dir, source.images[i].file), params), i * perImage);
    } catch (error) {
      if (error instanceof UserError) throw error;
      failed(i, imageProblem(error));
    }
    progress.advance();
  }, { limit: IMAGES_IN_FLIGHT });
  progress.finish();
  const entries: FaceEntry[] = [];
  const skipped: SkippedImage[] = source.bad.map(({ file, reason }) => ({ file, reason }));
  reasons.forEach((reason, i) => {
    if (reason !== undefined) {
      skipped.push({ file: source.images[i].file, reason });
      return;
    }
    const { file, person, number } = source.images[i];
    if (entries.length !== i) {
      pixels.copyWithin(entries.length * perImage, i * perImage, (i + 1) * perImage);
    }
    entries.push({ file, person, number });
  });
  if (entries.length === 0) throw new UserError(`no usable images in ${source.dir}`);
  if (entries.length < source.images.length) {
    pixels = pixels.subarray(0, entries.length * perImage); // a view: no second array
  }
  return { faces: { size: params.size, channels, pixels, entries }, skipped };
}
