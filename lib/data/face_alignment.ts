/**
 * Alignment to the training frame: a photo's detected landmarks (eye centres, nose tip, mouth
 * corners) are mapped by a similarity transform (rotation, uniform scale, shift; least squares)
 * onto their canonical positions in LFW's 250x250 frame, the positions they have on average in
 * the images the models were trained on (`lib/config/canonical_landmarks.ts`). The model's own
 * crop box of that frame is then read from the photo through the transform and resampled by the
 * project's one face preprocessing (`resampleRect`, the filter `prepare` uses), so the box lands
 * on the face where it landed in training, whatever the photo's framing, scale or tilt.
 *
 * The box is first sampled upright at about the photo's own resolution (bilinear, with
 * supersampling where the photo is finer than the sampling grid, so nothing aliases; edge
 * pixels repeat outside the photo), then resampled to the prepared size exactly as
 * `prepareFace` resamples a box.
 * @module
 */
import type { FaceBox } from "../config/defaults.ts";
import { LFW_FRAME } from "./crop_box.ts";
import { type RawImage, resampleRect } from "./resample.ts";

/** A point [x, y] in pixels (pixel (i, j) covers [i, i+1) x [j, j+1)). */
export type Point = [number, number];

/**
 * The five alignment points: eye centres (image-left first), nose tip, mouth corners
 * (image-left first).
 */
export type Landmarks5 = [Point, Point, Point, Point, Point];

/** Names of {@linkcode Landmarks5}'s points, in order. */
export const LANDMARK_NAMES = [
  "left eye",
  "right eye",
  "nose tip",
  "left mouth corner",
  "right mouth corner",
] as const;

/** A similarity transform: x' = a x - b y + tx, y' = b x + a y + ty. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** The similarity that maps `from` onto `to` best in the least-squares sense. */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) {
    throw new RangeError("a similarity needs two or more corresponding points");
  }
  const n = from.length;
  let fx = 0, fy = 0, gx = 0, gy = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i][0] / n;
    fy += from[i][1] / n;
    gx += to[i][0] / n;
    gy += to[i][1] / n;
  }
  let norm = 0, dot = 0, cross = 0;
  for (let i = 0; i < n; i++) {
    const x = from[i][0] - fx, y = from[i][1] - fy;
    const u = to[i][0] - gx, v = to[i][1] - gy;
    norm += x * x + y * y;
    dot += x * u + y * v;
    cross += x * v - y * u;
  }
  if (!(norm > 0)) throw new RangeError("the landmarks coincide: no similarity fits them");
  const a = dot / norm, b = cross / norm;
  return { a, b, tx: gx - (a * fx - b * fy), ty: gy - (b * fx + a * fy) };
}

/** `s` applied to `p`. */
export function applySimilarity(s: Similarity, p: Point): Point {
  return [s.a * p[0] - s.b * p[1] + s.tx, s.b * p[0] + s.a * p[1] + s.ty];
}

/** The inverse of `s`. */
export function invertSimilarity(s: Similarity): Similarity {
  const k = s.a * s.a + s.b * s.b;
  const a = s.a / k, b = -s.b / k;
  return { a, b, tx: -(a * s.tx - b * s.ty), ty: -(b * s.tx + a * s.ty) };
}

/** A face read from a photo through an alignment. */
export interface AlignedFace {
  /** The prepared face: `size` x `size`, grey (or RGB when `grey` is false). */
  face: Uint8Array;
  /** Photo -> LFW frame. */
  toFrame: Similarity;
  /** The crop box's corners in the photo: top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
  /** The crop's centre in the photo. */
  centre: Point;
  /** The crop's width and height in photo pixels. */
  width: number;
  height: number;
  /** Its rotation in degrees (positive: the face is turned clockwise in the photo). */
  rotation: number;
  /** Share of the crop that lies outside the photo (filled with the photo's edge pixels). */
  outside: number;
  /** Root-mean-square distance of the landmarks from the canonical ones after alignment, in frame pixels. */
  residual: number;
}

/** Most samples per axis within one sampling-grid pixel (a photo 8x finer is still averaged). */
export const MAX_SUPERSAMPLE = 8;

/**
 * The model's crop of a photo whose face has landmarks `landmarks`, aligned so that they land
 * on `canonical` (positions in the 250x250 LFW frame), resampled to `prepare.size`.
 */
export function alignFace(
  image: RawImage,
  landmarks: readonly Point[],
  canonical: readonly Point[],
  prepare: {
    box: readonly [number, number, number, number] | FaceBox;
    size: number;
    grey: boolean;
  },
): AlignedFace {
  const toFrame = fitSimilarity(landmarks, canonical);
  const toPhoto = invertSimilarity(toFrame);
  const [l, t, r, b] = prepare.box;
  if (!(r > l && b > t) || l < 0 || t < 0 || r > LFW_FRAME || b > LFW_FRAME) {
    throw new RangeError(
      `crop box [${prepare.box.join(",")}] is not inside the ${LFW_FRAME} frame`,
    );
  }
  const bw = r - l, bh = b - t;
  const k = Math.hypot(toPhoto.a, toPhoto.b); // photo pixels per frame pixel
  const size = prepare.size;
  // The upright patch: about the photo's resolution, at least the prepared size, at most 4x.
  const side = (frame: number) => Math.max(size, Math.min(4 * size, Math.ceil(frame * k)));
  const pw = side(bw), ph = side(bh);
  const stepX = bw / pw, stepY = bh / ph; // frame pixels per patch pixel
  const nx = Math.min(MAX_SUPERSAMPLE, Math.max(1, Math.ceil(stepX * k)));
  const ny = Math.min(MAX_SUPERSAMPLE, Math.max(1, Math.ceil(stepY * k)));
  const { width, height, pixels } = image;
  const channels = image.channels >= 3 ? 3 : 1;
  const stride = image.channels;
  const patch = new Uint8Array(pw * ph * channels);
  const acc = new Float64Array(channels);
  let outside = 0;
  const clampX = (x: number) => (x < 0 ? 0 : x > width - 1 ? width - 1 : x);
  const clampY = (y: number) => (y < 0 ? 0 : y > height - 1 ? height - 1 : y);
  for (let j = 0; j < ph; j++) {
    for (let i = 0; i < pw; i++) {
      acc.fill(0);
      for (let sy = 0; sy < ny; sy++) {
        const fy = t + (j + (sy + 0.5) / ny) * stepY;
        for (let sx = 0; sx < nx; sx++) {
          const fx = l + (i + (sx + 0.5) / nx) * stepX;
          const px = toPhoto.a * fx - toPhoto.b * fy + toPhoto.tx;
          const py = toPhoto.b * fx + toPhoto.a * fy + toPhoto.ty;
          if (sx === 0 && sy === 0 && (px < 0 || py < 0 || px > width || py > height)) outside++;
          // Bilinear between pixel centres (pixel x's centre is x + 0.5).
          const x = clampX(px - 0.5), y = clampY(py - 0.5);
          const x0 = Math.floor(x), y0 = Math.floor(y);
          const x1 = Math.min(width - 1, x0 + 1), y1 = Math.min(height - 1, y0 + 1);
          const wx = x - x0, wy = y - y0;
          const p00 = (y0 * width + x0) * stride, p10 = (y0 * width + x1) * stride;
          const p01 = (y1 * width + x0) * stride, p11 = (y1 * width + x1) * stride;
          for (let c = 0; c < channels; c++) {
            acc[c] += (1 - wy) * ((1 - wx) * pixels[p00 + c] + wx * pixels[p10 + c]) +
              wy * ((1 - wx) * pixels[p01 + c] + wx * pixels[p11 + c]);
          }
        }
      }
      const o = (j * pw + i) * channels;
      for (let c = 0; c < channels; c++) patch[o + c] = Math.round(acc[c] / (nx * ny));
    }
  }
  const face = resampleRect(
    { width: pw, height: ph, channels, pixels: patch },
    { left: 0, top: 0, width: pw, height: ph },
    { size, grey: prepare.grey },
  );
  const corners = ([[l, t], [r, t], [r, b], [l, b]] as Point[]).map((p) =>
    applySimilarity(toPhoto, p)
  ) as [Point, Point, Point, Point];
  let squared = 0;
  landmarks.forEach((p, i) => {
    const q = applySimilarity(toFrame, p);
    squared += (q[0] - canonical[i][0]) ** 2 + (q[1] - canonical[i][1]) ** 2;
  });
  return {
    face,
    toFrame,
    corners,
    centre: applySimilarity(toPhoto, [(l + r) / 2, (t + b) / 2]),
    width: bw * k,
    height: bh * k,
    rotation: (Math.atan2(toPhoto.b, toPhoto.a) * 180) / Math.PI,
    outside: outside / (pw * ph),
    residual: Math.sqrt(squared / landmarks.length),
  };
}
