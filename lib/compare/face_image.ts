/**
 * Reading any face photo (JPEG, PNG, WebP or PGM, any size) into the prepared-face format the
 * models were trained on, by the project's one face preprocessing
 * (`lib/data/face_preprocessing.ts`). Three ways to find the face:
 *
 * - **detected** (with a detector: `compare`'s default): the faces are detected with their
 *   landmarks, the largest is taken (or the `face`-th, largest first), its landmarks are
 *   aligned to the canonical ones of the training frame and the model's crop box is read through
 *   that alignment (`lib/data/face_alignment.ts`). No face: a {@linkcode NoFaceError}, never a
 *   guess.
 * - **fixed box** (no detector; `compare --no-detect`): the model's box scaled to the largest
 *   centred square (a 250x250 LFW frame gets it as it is);
 * - **box**: an explicit box in the photo's pixels (`compare --box`).
 *
 * PGM files are LFWcrop faces already cut: the whole image is the face, whichever way. This
 * module adds the file handling, the report of what was read and the errors a user sees.
 * @module
 */
import type { PrepareParams } from "../config/defaults.ts";
import { alignFace, type Landmarks5 } from "../data/face_alignment.ts";
import { decodeImage, faceRegion, type PixelBox, prepareFace } from "../data/face_preprocessing.ts";
import { UserError } from "../util/errors.ts";
import type { FaceDetector } from "./face_detector.ts";

export { faceRegion };

/** Options of {@linkcode readFaceImage} and {@linkcode readFace}. */
export interface FaceImageOptions {
  /** The face region in pixels: [left, top, right, bottom], right and bottom exclusive. */
  box?: PixelBox;
  /** Detect and align the face with this detector (ignored with `box` and for PGM faces). */
  detector?: FaceDetector;
  /** Canonical landmark positions in the 250x250 frame (required with `detector`). */
  canonical?: Landmarks5;
  /** Which detected face, 1-based, largest first (default 1). */
  face?: number;
  /** The model's input side: a face smaller than it in the photo gets a warning. */
  inputSize?: number;
}

/** The region of a photo a face was read from. */
export interface FaceRegionReport {
  /** Centre of the crop, in the photo's pixels. */
  x: number;
  y: number;
  /** The crop's size in the photo's pixels. */
  width: number;
  height: number;
  /** Its rotation in degrees (0 for fixed and explicit boxes). */
  rotation: number;
}

/** A face as read, and how. */
export interface FaceReading {
  /** The prepared face (`size` x `size` grey bytes). */
  face: Uint8Array;
  how: "detected" | "fixed box" | "box" | "pgm";
  region: FaceRegionReport;
  /** The detector's score of the face used (detected only). */
  score: number | null;
  /** Faces the detector found, and which one was used (1-based, largest first). */
  faces: number | null;
  chosen: number | null;
  /** Warnings about this image (several faces, a small face, a crop beyond the photo). */
  warnings: string[];
}

/** No face in an image: that image (and its pair) cannot be compared. */
export class NoFaceError extends UserError {}

/** Reads one face photo as `size` x `size` grey bytes, ready for a model trained on prepared faces. */
export async function readFaceImage(
  path: string,
  prepare: Pick<PrepareParams, "box" | "size">,
  options: FaceImageOptions = {},
): Promise<Uint8Array> {
  return (await readFace(path, prepare, options)).face;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UserError(`image not found: ${path}`);
    if (error instanceof Deno.errors.IsADirectory) {
      throw new UserError(`not an image file but a folder: ${path}`);
    }
    throw new UserError(`cannot read image ${path}: ${(error as Error).message}`);
  }
}

/** An error of the preprocessing as the user's error about `path`. */
function imageError(path: string, bytes: Uint8Array, error: unknown): Error {
  if (error instanceof UserError) return error;
  // The box arithmetic's complaints (an image too small for its face box) are not decoding
  // errors: say what is wrong without calling the file unreadable.
  if (error instanceof RangeError) return new UserError(`${path}: ${error.message}`);
  const reason = (error as Error).message.split("\n")[0];
  const pgm = bytes[0] === 0x50 && bytes[1] === 0x35; // a PGM header: the format was right
  return new UserError(
    `unreadable image ${path}${pgm ? "" : " (JPEG, PNG, WebP or PGM expected)"}: ${reason}`,
  );
}

/** Reads one face photo, and says which region of it was read. */
export async function readFace(
  path: string,
  prepare: Pick<PrepareParams, "box" | "size">,
  options: FaceImageOptions = {},
): Promise<FaceReading> {
  return readFaceBytes(await readBytes(path), path, prepare, options);
}

/** {@linkcode readFace} of a photo's bytes (`path` names it in errors). */
export async function readFaceBytes(
  bytes: Uint8Array,
  path: string,
  prepare: Pick<PrepareParams, "box" | "size">,
  options: FaceImageOptions = {},
): Promise<FaceReading> {
  const isPgm = bytes[0] === 0x50 && bytes[1] === 0x35;
  const params = { ...prepare, grey: true };
  try {
    if (isPgm || options.box || !options.detector) {
      const face = await prepareFace(bytes, params, options.box);
      // The region prepareFace read, for the report (decoded again: the same orientation).
      const image = await decodeImage(bytes, { grey: true });
      const rect = isPgm && !options.box
        ? { left: 0, top: 0, width: image.width, height: image.height }
        : faceRegion(image, prepare, options.box);
      return {
        face,
        how: isPgm && !options.box ? "pgm" : options.box ? "box" : "fixed box",
        region: {
          x: rect.left + rect.width / 2,
          y: rect.top + rect.height / 2,
          width: rect.width,
          height: rect.height,
          rotation: 0,
        },
        score: null,
        faces: null,
        chosen: null,
        warnings: [],
      };
    }
    if (!options.canonical) throw new Error("readFace: a detector needs canonical landmarks");
    const image = await decodeImage(bytes, { grey: false });
    const faces = await options.detector.detect(image);
    if (faces.length === 0) {
      throw new NoFaceError(
        `${path}: no face found (detector score below ${options.detector.minScore}); not compared`,
      );
    }
    const chosen = options.face ?? 1;
    if (chosen > faces.length) {
      throw new UserError(
        `${path}: --face ${chosen}, but ${faces.length} face(s) found (numbered largest first)`,
      );
    }
    const found = faces[chosen - 1];
    const aligned = alignFace(image, found.landmarks, options.canonical, params);
    const warnings: string[] = [];
    if (faces.length > 1) {
      warnings.push(
        `${faces.length} faces found; using face ${chosen}${
          chosen === 1 ? " (the largest)" : ""
        }, ${fmt(found.box.width)}x${fmt(found.box.height)} px at ${fmt(found.box.left)},${
          fmt(found.box.top)
        } (--face N picks another, largest first)`,
      );
    }
    const side = Math.min(aligned.width, aligned.height);
    if (options.inputSize && side < options.inputSize) {
      warnings.push(
        `the face is small: its crop is ${
          fmt(side)
        } px across in the photo, less than the model's ${options.inputSize}-px input (upscaled, so less reliable)`,
      );
    }
    if (aligned.outside > 0.1) {
      warnings.push(
        `${
          Math.round(100 * aligned.outside)
        }% of the crop lies beyond the photo's edge (filled with edge pixels)`,
      );
    }
    return {
      face: aligned.face,
      how: "detected",
      region: {
        x: aligned.centre[0],
        y: aligned.centre[1],
        width: aligned.width,
        height: aligned.height,
        rotation: aligned.rotation,
      },
      score: found.score,
      faces: faces.length,
      chosen,
      warnings,
    };
  } catch (error) {
    throw imageError(path, bytes, error);
  }
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

/** The region as a compact cell: `x,y,width,height,rotation` (centre, size in px, degrees). */
export function regionCell(r: FaceRegionReport): string {
  return [r.x, r.y, r.width, r.height, r.rotation].map(fmt).join(",");
}

/** One line saying which region of a photo was read, and how. */
export function describeReading(r: FaceReading): string {
  const where = `${fmt(r.region.width)}x${fmt(r.region.height)} px centred at ${fmt(r.region.x)},${
    fmt(r.region.y)
  }`;
  switch (r.how) {
    case "detected":
      return `face ${r.chosen} of ${r.faces}, detector score ${
        r.score!.toFixed(3)
      }; aligned crop ${where}, rotated ${fmt(r.region.rotation)}°`;
    case "fixed box":
      return `the model's box scaled to the photo's centred square (no detection): ${where}`;
    case "box":
      return `--box: ${where}`;
    case "pgm":
      return `a PGM face, read whole (${fmt(r.region.width)}x${fmt(r.region.height)} px)`;
  }
}
