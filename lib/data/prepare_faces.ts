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
import type { FaceArray, FaceEntry } from "./face_array.ts";
import type { ImageSource } from "./image_source.ts";
import { prepareFace } from "./face_preprocessing.ts";

/** An image that could not be used, with the reason. */
export interface SkippedImage {
  file: string;
  reason: string;
}

/** The result of {@linkcode prepareFaces}. */
export interface PreparedFaces {
  faces: FaceArray;
  skipped: SkippedImage[];
}

// Files are read (and sharp decodes) on other threads while this one decodes JPEGs natively
// and resamples: 4 in flight keep the reads ahead without oversubscribing two cores.
const IMAGES_IN_FLIGHT = 4;

/**
 * Decodes one image file into `size` x `size` x channels bytes, by the project's one face
 * preprocessing (`face_preprocessing.ts`). Throws an Error (not a UserError: the caller adds
 * the file name) when the image is corrupt.
 */
export async function decodeFace(
  path: string,
  params: Pick<PrepareParams, "box" | "size" | "grey">,
): Promise<Uint8Array> {
  return await prepareFace(await Deno.readFile(path), path, params);
}

/** Bytes a prepared face set takes in memory (and on disk): faces x size x size x channels. */
export function preparedBytes(images: number, params: Pick<PrepareParams, "size" | "grey">): number {
  return images * params.size * params.size * (params.grey ? 1 : 3);
}

/**
 * Says how much memory the prepared faces need before any image is decoded, and refuses when
 * that is more than the machine has available (a `--size` too large for it).
 */
function assertMemoryFor(images: number, perImage: number, params: PrepareParams): void {
  const bytes = images * perImage;
  const available = Deno.systemMemoryInfo().available;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GB`;
  console.log(
    `prepare: ${images} faces of ${params.size}x${params.size} ${
      params.grey ? "grey" : "colour"
    } need ${gb(bytes)} of memory (${gb(available)} available)`,
  );
  if (bytes > available * 0.9) {
    throw new UserError(
      `--size ${params.size}: ${images} faces need ${gb(bytes)} of memory, more than the ${
        gb(available)
      } available; choose a smaller --size`,
    );
  }
}

/**
 * Decodes every image of `source`. A corrupt image is a UserError naming the file, unless
 * `params.skipBad`, in which case it is left out and listed in `skipped`.
 */
export async function prepareFaces(
  source: ImageSource,
  params: PrepareParams,
): Promise<PreparedFaces> {
  const channels = params.grey ? 1 : 3;
  const perImage = params.size * params.size * channels;
  assertMemoryFor(source.images.length, perImage, params);
  // Each face is written into its slot of the one array as it is decoded (never a second
  // copy of the whole set); skipped images' slots are closed up at the end.
  let pixels = new Uint8Array(source.images.length * perImage);
  const progress = new Progress("prepare", source.images.length, { unit: "images" });
  const usable = await mapLimit(source.images, async (image, i) => {
    const path = join(source.dir, image.file);
    try {
      pixels.set(await decodeFace(path, params), i * perImage);
      progress.advance();
      return undefined;
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      if (!params.skipBad) {
        throw new UserError(
          `corrupt or unreadable image ${path}: ${reason} (use --skip-bad to skip it)`,
        );
      }
      console.warn(`warning: skipping ${path}: ${reason}`);
      progress.advance();
      return reason;
    }
  }, { limit: IMAGES_IN_FLIGHT });
  progress.finish();
  const entries: FaceEntry[] = [];
  const skipped: SkippedImage[] = source.badNames.map((file) => ({
    file,
    reason: "bad file name",
  }));
  usable.forEach((reason, i) => {
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
    pixels = pixels.slice(0, entries.length * perImage);
  }
  return { faces: { size: params.size, channels, pixels, entries }, skipped };
}
