/**
 * Galleries of misjudged pairs: the most confident false positives (different people judged the
 * same) and false negatives (the same person judged different), drawn as a PNG grid with the
 * two faces of each pair side by side.
 * @module
 */
import sharp from "sharp";
import { type FaceArray, faceAt } from "../data/face_array.ts";
import type { Pair } from "../data/sample_pairs.ts";

/** One misjudged pair. */
export interface GalleryEntry {
  /** Position of the pair in its set. */
  pair: number;
  a: string;
  b: string;
  probability: number;
}

/** The misjudged pairs of a set, most confident first. */
export interface ErrorLists {
  falsePositives: GalleryEntry[];
  falseNegatives: GalleryEntry[];
}

/** Picks up to `limit` false positives and false negatives at `threshold`, most confident first. */
export function findErrors(
  pairs: readonly Pair[],
  probabilities: ArrayLike<number>,
  options: { threshold: number; limit: number; fileOf: (image: number) => string },
): ErrorLists {
  const entry = (i: number): GalleryEntry => ({
    pair: i,
    a: options.fileOf(pairs[i].a),
    b: options.fileOf(pairs[i].b),
    probability: probabilities[i],
  });
  const indices = [...pairs.keys()];
  const fp = indices.filter((i) => !pairs[i].same && probabilities[i] >= options.threshold)
    .sort((x, y) => probabilities[y] - probabilities[x] || x - y);
  const fn = indices.filter((i) => pairs[i].same && probabilities[i] < options.threshold)
    .sort((x, y) => probabilities[x] - probabilities[y] || x - y);
  return {
    falsePositives: fp.slice(0, options.limit).map(entry),
    falseNegatives: fn.slice(0, options.limit).map(entry),
  };
}

const GAP = 4;
const MARGIN = 8;

/** Draws pairs as a grid (`columns` pairs per row) of grey faces on white; PNG bytes. */
export async function renderPairGrid(
  faces: FaceArray,
  pairs: readonly { a: number; b: number }[],
  options: { columns?: number } = {},
): Promise<Uint8Array> {
  if (faces.channels !== 1) throw new Error("renderPairGrid: grey faces only");
  const s = faces.size;
  const columns = Math.max(1, Math.min(options.columns ?? 4, pairs.length || 1));
  const rows = Math.max(1, Math.ceil(pairs.length / columns));
  const cellW = 2 * s + GAP;
  const width = MARGIN + columns * (cellW + MARGIN);
  const height = MARGIN + rows * (s + MARGIN);
  const canvas = new Uint8Array(width * height).fill(255);
  pairs.forEach((p, k) => {
    const x0 = MARGIN + (k % columns) * (cellW + MARGIN);
    const y0 = MARGIN + Math.floor(k / columns) * (s + MARGIN);
    for (const [image, dx] of [[p.a, 0], [p.b, s + GAP]] as const) {
      const pixels = faceAt(faces, image);
      for (let y = 0; y < s; y++) {
        canvas.set(pixels.subarray(y * s, (y + 1) * s), (y0 + y) * width + x0 + dx);
      }
    }
  });
  const png = await sharp(canvas, { raw: { width, height, channels: 1 } }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}
