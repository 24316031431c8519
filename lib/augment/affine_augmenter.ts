/**
 * The original project's image augmentation: per image, a random affine transform (horizontal
 * flip, per-axis scale, rotation, shear, translation) applied with bilinear sampling about the
 * image centre; pixels from outside the image repeat the nearest edge pixel.
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** Ranges of the random transform. */
export interface AugmentParams {
  /** Probability of a horizontal flip. */
  flipProbability: number;
  /** Each axis is scaled by a factor drawn from [1/scaleMax, scaleMax]. */
  scaleMax: number;
  /** Rotation drawn from [-rotationDegrees, rotationDegrees]. */
  rotationDegrees: number;
  /** Shear angle drawn from [-shearDegrees, shearDegrees]. */
  shearDegrees: number;
  /** Translation per axis drawn from [-translatePixels, translatePixels]. */
  translatePixels: number;
  /** Probability that the two images of a pair swap sides. */
  swapProbability: number;
}

/** The original project's ranges (kept with every default in `lib/config/defaults.ts`). */
export { AUGMENT_DEFAULTS } from "../config/defaults.ts";

/**
 * The ranges scaled by `strength` (`train --augment`): rotation, shear, translation and the
 * log of the scale range are multiplied by it; flips and side swaps stay (they change no
 * pixel's neighbourhood). 1 gives `params` back, 0 the flips alone.
 */
export function scaledAugmentParams(params: AugmentParams, strength: number): AugmentParams {
  if (!(strength >= 0 && Number.isFinite(strength))) {
    throw new RangeError(`augmentation strength ${strength} is not a finite number >= 0`);
  }
  if (strength === 1) return { ...params };
  return {
    ...params,
    scaleMax: Math.exp(Math.log(params.scaleMax) * strength),
    rotationDegrees: params.rotationDegrees * strength,
    shearDegrees: params.shearDegrees * strength,
    translatePixels: params.translatePixels * strength,
  };
}

/** The parameters of one drawn transform. */
export interface TransformParams {
  flip: boolean;
  scaleX: number;
  scaleY: number;
  rotationDegrees: number;
  shearDegrees: number;
  translateX: number;
  translateY: number;
}

/** The transform that changes nothing. */
export const IDENTITY_TRANSFORM: TransformParams = {
  flip: false,
  scaleX: 1,
  scaleY: 1,
  rotationDegrees: 0,
  shearDegrees: 0,
  translateX: 0,
  translateY: 0,
};

/**
 * The inverse of the forward map  T = translate . rotate . shear . scale . flip  (about the
 * centre), as [a, b, c, d, tx, ty]: an output pixel (x, y), relative to the centre, samples the
 * source at (a x + b y + tx, c x + d y + ty).
 */
export function inverseMatrix(
  t: TransformParams,
): [number, number, number, number, number, number] {
  const rad = (t.rotationDegrees * Math.PI) / 180;
  const sh = Math.tan((t.shearDegrees * Math.PI) / 180);
  const cos = Math.cos(rad), sin = Math.sin(rad);
  const fx = t.flip ? -t.scaleX : t.scaleX;
  // Forward linear part M = R * S_h * diag(fx, sy), with S_h = [[1, sh], [0, 1]].
  const m00 = cos * fx, m01 = (cos * sh - sin) * t.scaleY;
  const m10 = sin * fx, m11 = (sin * sh + cos) * t.scaleY;
  const det = m00 * m11 - m01 * m10;
  const a = m11 / det, b = -m01 / det, c = -m10 / det, d = m00 / det;
  return [
    a,
    b,
    c,
    d,
    -(a * t.translateX + b * t.translateY),
    -(c * t.translateX + d * t.translateY),
  ];
}

/** Draws random transforms within ranges and applies them to square grey images. */
export class AffineAugmenter {
  /** The ranges in use. */
  readonly params: AugmentParams;
  /** Image side in pixels. */
  readonly size: number;

  /** An augmenter for `size` x `size` images. */
  constructor(params: AugmentParams, size: number) {
    this.params = params;
    this.size = size;
  }

  /** Draws one transform. */
  sample(rng: Rng): TransformParams {
    const p = this.params;
    const logScale = Math.log(p.scaleMax);
    return {
      flip: rng.nextFloat() < p.flipProbability,
      scaleX: Math.exp(rng.uniform(-logScale, logScale)),
      scaleY: Math.exp(rng.uniform(-logScale, logScale)),
      rotationDegrees: rng.uniform(-p.rotationDegrees, p.rotationDegrees),
      shearDegrees: rng.uniform(-p.shearDegrees, p.shearDegrees),
      translateX: rng.uniform(-p.translatePixels, p.translatePixels),
      translateY: rng.uniform(-p.translatePixels, p.translatePixels),
    };
  }

  /**
   * Writes the transformed image into `out` at `offset`, scaling bytes to [0, 1]. `src` holds
   * `size` x `size` values in 0..255.
   */
  apply(src: ArrayLike<number>, t: TransformParams, out: Float32Array, offset = 0): void {
    const n = this.size;
    const c = (n - 1) / 2;
    const [a, b, cc, d, tx, ty] = inverseMatrix(t);
    const last = n - 1;
    for (let y = 0; y < n; y++) {
      const v = y - c;
      for (let x = 0; x < n; x++) {
        const u = x - c;
        let sx = a * u + b * v + tx + c;
        let sy = cc * u + d * v + ty + c;
        sx = sx < 0 ? 0 : sx > last ? last : sx;
        sy = sy < 0 ? 0 : sy > last ? last : sy;
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const x1 = x0 < last ? x0 + 1 : last, y1 = y0 < last ? y0 + 1 : last;
        const fx = sx - x0, fy = sy - y0;
        const top = src[y0 * n + x0] + (src[y0 * n + x1] - src[y0 * n + x0]) * fx;
        const bottom = src[y1 * n + x0] + (src[y1 * n + x1] - src[y1 * n + x0]) * fx;
        out[offset + y * n + x] = (top + (bottom - top) * fy) / 255;
      }
    }
  }
}
