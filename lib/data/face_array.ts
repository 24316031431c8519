/**
 * The prepared face set: one compact N x size x size x channels uint8 array (`faces.u8`) and an
 * index of the images (`faces.json`: file, person, number), sorted by file name.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { resampleRect } from "./resample.ts";
import { DamagedFileError, readArtifactJson } from "../util/damaged_file.ts";

/** One image's entry in the index. */
export interface FaceEntry {
  /** Source file, relative to the images folder. */
  file: string;
  person: string;
  number: number;
}

/** The prepared faces in memory. */
export interface FaceArray {
  size: number;
  channels: number;
  /** All images back to back, row-major, channels last. */
  pixels: Uint8Array;
  entries: FaceEntry[];
}

/** File names of a prepared face set inside its artifact folder. */
export const FACE_FILES = { pixels: "faces.u8", index: "faces.json" } as const;

/** The pixels of image `i` (a view, not a copy). */
export function faceAt(faces: FaceArray, i: number): Uint8Array {
  const n = faces.size * faces.size * faces.channels;
  return faces.pixels.subarray(i * n, (i + 1) * n);
}

/** Writes a face set into `dir` (atomically per file). */
export async function saveFaceArray(dir: string, faces: FaceArray): Promise<void> {
  await writeFileAtomic(join(dir, FACE_FILES.pixels), faces.pixels);
  await writeJsonAtomic(join(dir, FACE_FILES.index), {
    size: faces.size,
    channels: faces.channels,
    count: faces.entries.length,
    entries: faces.entries.map((e) => [e.file, e.person, e.number]),
  });
}

/** The index of a face set: image size, channels and entries, without the pixels. */
export interface FaceIndex {
  size: number;
  channels: number;
  entries: FaceEntry[];
}

/** What is wrong with a parsed `faces.json`, or undefined. */
function indexProblem(value: unknown): string | undefined {
  const index = value as { size?: unknown; channels?: unknown; count?: unknown; entries?: unknown };
  if (typeof index !== "object" || index === null) return "not a face index";
  if (!Number.isInteger(index.size) || (index.size as number) < 1) return "no image size";
  if (index.channels !== 1 && index.channels !== 3) return "no channel count";
  if (!Array.isArray(index.entries)) return "no entries";
  if (index.count !== undefined && index.count !== index.entries.length) {
    return `${index.entries.length} entries, ${index.count} counted`;
  }
  const bad = index.entries.findIndex((e) =>
    !Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "string" ||
    !Number.isInteger(e[2])
  );
  return bad >= 0 ? `entry ${bad} is not [file, person, number]` : undefined;
}

/**
 * Loads only the index of a face set written by {@linkcode saveFaceArray}; a damaged one is a
 * DamagedFileError naming it.
 */
export async function loadFaceIndex(dir: string): Promise<FaceIndex> {
  const index = await readArtifactJson<
    { size: number; channels: number; entries: [string, string, number][] }
  >(
    join(dir, FACE_FILES.index),
    { problem: indexProblem },
  );
  const entries: FaceEntry[] = index.entries.map(
    ([file, person, number]: [string, string, number]) => ({ file, person, number }),
  );
  return { size: index.size, channels: index.channels, entries };
}

/** Loads a face set written by {@linkcode saveFaceArray}. */
export async function loadFaceArray(dir: string): Promise<FaceArray> {
  const index = await loadFaceIndex(dir);
  const pixels = await Deno.readFile(join(dir, FACE_FILES.pixels));
  const entries = index.entries;
  const expected = entries.length * index.size * index.size * index.channels;
  if (pixels.length !== expected) {
    throw new DamagedFileError(
      join(dir, FACE_FILES.pixels),
      `${pixels.length} bytes, expected ${expected} for the faces its index lists`,
    );
  }
  return { size: index.size, channels: index.channels, pixels, entries };
}

/** The faces resized to `size` x `size` (grey only), as one N x size x size byte array. */
export function resizeFaceArray(faces: FaceArray, size: number): Uint8Array {
  if (faces.channels !== 1) throw new Error("resizeFaceArray: only grey faces are supported");
  if (size === faces.size) return faces.pixels;
  const out = new Uint8Array(faces.entries.length * size * size);
  const whole = { left: 0, top: 0, width: faces.size, height: faces.size };
  for (let i = 0; i < faces.entries.length; i++) {
    const image = { width: faces.size, height: faces.size, channels: 1, pixels: faceAt(faces, i) };
    out.set(resampleRect(image, whole, { size, grey: true }), i * size * size);
  }
  return out;
}
