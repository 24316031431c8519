/**
 * Worker of `prepare`: decodes its share of an image folder's JPEGs natively to grey and writes
 * each prepared face into the shared face array (see `prepare_faces.ts`). Images the native
 * path does not cover (see `prepareJpegFaceNative`) are handed back for the main thread.
 * @module
 */
/// <reference lib="deno.worker" />
import { join } from "node:path";
import type { PrepareParams } from "../config/defaults.ts";
import { prepareJpegFaceNative } from "./face_preprocessing.ts";
import { type ImageProblem, imageProblem } from "./image_problem.ts";

/** The job of one worker. */
export interface PrepareJob {
  dir: string;
  /** File names and their indices in the face array. */
  files: string[];
  indices: number[];
  params: Pick<PrepareParams, "box" | "size" | "grey">;
  /** The whole face array, `perImage` bytes per image. */
  pixels: SharedArrayBuffer;
  perImage: number;
}

/** A worker's messages: progress counts, then its result. */
export type PrepareMessage =
  | { progress: number }
  | { done: true; fallback: number[]; errors: ({ index: number } & ImageProblem)[] };

const REPORT_EVERY = 64;

self.onmessage = async (event: MessageEvent<PrepareJob>) => {
  const { dir, files, indices, params, perImage } = event.data;
  const pixels = new Uint8Array(event.data.pixels);
  const fallback: number[] = [];
  const errors: ({ index: number } & ImageProblem)[] = [];
  let unreported = 0;
  for (let k = 0; k < files.length; k++) {
    try {
      const face = prepareJpegFaceNative(await Deno.readFile(join(dir, files[k])), params);
      if (face) pixels.set(face, indices[k] * perImage);
      else {
        // Handed back, and counted by the main thread when it prepares it.
        fallback.push(indices[k]);
        continue;
      }
    } catch (error) {
      errors.push({ index: indices[k], ...imageProblem(error) });
    }
    if (++unreported === REPORT_EVERY) {
      self.postMessage({ progress: unreported } satisfies PrepareMessage);
      unreported = 0;
    }
  }
  if (unreported) self.postMessage({ progress: unreported } satisfies PrepareMessage);
  self.postMessage({ done: true, fallback, errors } satisfies PrepareMessage);
};
