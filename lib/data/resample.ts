/**
 * Resampling a (fractional) rectangle of an 8-bit image to a square output, with optional
 * conversion to grey. Separable triangle filter whose support widens with the reduction
 * factor, so downscaling averages every covered source pixel (no aliasing) and upscaling is
 * bilinear: the same scheme as Pillow's antialiased BILINEAR resize.
 * @module
 */
import type { Rect } from "./crop_box.ts";

/** A decoded 8-bit image, interleaved channels. */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Options of {@linkcode resampleRect}. */
export interface ResampleOptions {
  /** Output side length. */
  size: number;
  /** Convert to one grey channel (ITU-R BT.601 luma), else keep 3 colour channels. */
  grey: boolean;
}

/** ITU-R BT.601 luma weights of R, G and B: the grey conversion. */
export const LUMA = [0.299, 0.587, 0.114] as const;

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

// Prepared faces share their geometry (every LFW image has the same box): taps are computed
// once per geometry. Bounded, since arbitrary photos each bring their own.
const tapsCache = new Map<string, Taps>();

function computeTaps(srcLen: number, from: number, len: number, outLen: number): Taps {
  const key = `${srcLen} ${from} ${len} ${outLen}`;
  let taps = tapsCache.get(key);
  if (!taps) {
    if (tapsCache.size >= 64) tapsCache.clear();
    tapsCache.set(key, taps = buildTaps(srcLen, from, len, outLen));
  }
  return taps;
}

function buildTaps(srcLen: number, from: number, len: number, outLen: number): Taps {
  const scale = len / outLen;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outLen);
  const count = new Int32Array(outLen);
  const weights = new Float32Array(outLen * maxTaps);
  for (let o = 0; o < outLen; o++) {
    const center = from + (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(srcLen, Math.ceil(center + support));
    let total = 0;
    let n = 0;
    for (let i = lo; i < hi && n < maxTaps; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - center) / support);
      weights[o * maxTaps + n++] = w;
      total += w;
    }
    for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= total || 1;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, maxTaps };
}

/** Resamples `rect` of `image` to `size` x `size` (grey: 1 channel, else 3). */
export function resampleRect(image: RawImage, rect: Rect, options: ResampleOptions): Uint8Array {
  const { width, height, channels, pixels } = image;
  const size = options.size;
  const xt = computeTaps(width, rect.left, rect.width, size);
  const yt = computeTaps(height, rect.top, rect.height, size);
  if (channels === 1 && options.grey) return resampleGrey(image, xt, yt, size);
  const outChannels = options.grey ? 1 : 3;
  // Colour from a grey source repeats channel 0; grey from colour is BT.601 luma.
  const src = (c: number) => (channels >= 3 ? c : 0);
  // Horizontal pass over the rows the vertical taps need, into floats per channel.
  const rowLo = yt.start[0];
  const rowHi = Math.min(height, yt.start[size - 1] + yt.count[size - 1]);
  const rows = rowHi - rowLo;
  const tmp = new Float32Array(rows * size * 3);
  for (let y = 0; y < rows; y++) {
    const rowBase = (rowLo + y) * width * channels;
    for (let o = 0; o < size; o++) {
      let r = 0, g = 0, b = 0;
      const s = xt.start[o], w0 = o * xt.maxTaps;
      for (let k = 0; k < xt.count[o]; k++) {
        const w = xt.weights[w0 + k];
        const p = rowBase + (s + k) * channels;
        r += w * pixels[p + src(0)];
        g += w * pixels[p + src(1)];
        b += w * pixels[p + src(2)];
      }
      const t = (y * size + o) * 3;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  const out = new Uint8Array(size * size * outChannels);
  for (let oy = 0; oy < size; oy++) {
    const s = yt.start[oy] - rowLo, w0 = oy * yt.maxTaps;
    for (let ox = 0; ox < size; ox++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < yt.count[oy]; k++) {
        const w = yt.weights[w0 + k];
        const t = ((s + k) * size + ox) * 3;
        r += w * tmp[t];
        g += w * tmp[t + 1];
        b += w * tmp[t + 2];
      }
      const o = (oy * size + ox) * outChannels;
      if (options.grey) out[o] = clampByte(LUMA[0] * r + LUMA[1] * g + LUMA[2] * b);
      else {
        out[o] = clampByte(r);
        out[o + 1] = clampByte(g);
        out[o + 2] = clampByte(b);
      }
    }
  }
  return out;
}

/** The same filter on one grey channel: a third of the work (grey decodes, grey faces). */
function resampleGrey(image: RawImage, xt: Taps, yt: Taps, size: number): Uint8Array {
  const { width, height, pixels } = image;
  const rowLo = yt.start[0];
  const rowHi = Math.min(height, yt.start[size - 1] + yt.count[size - 1]);
  const rows = rowHi - rowLo;
  const tmp = new Float32Array(rows * size);
  for (let y = 0; y < rows; y++) {
    const rowBase = (rowLo + y) * width;
    for (let o = 0; o < size; o++) {
      let v = 0;
      const s = rowBase + xt.start[o], w0 = o * xt.maxTaps;
      for (let k = 0; k < xt.count[o]; k++) v += xt.weights[w0 + k] * pixels[s + k];
      tmp[y * size + o] = v;
    }
  }
  const out = new Uint8Array(size * size);
  for (let oy = 0; oy < size; oy++) {
    const s = yt.start[oy] - rowLo, w0 = oy * yt.maxTaps;
    for (let ox = 0; ox < size; ox++) {
      let v = 0;
      for (let k = 0; k < yt.count[oy]; k++) v += yt.weights[w0 + k] * tmp[(s + k) * size + ox];
      out[oy * size + ox] = clampByte(v);
    }
  }
  return out;
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/**
 * The private helpers {@linkcode resampleRect} calls, so that an exported model's module can
 * carry this exact code (see `lib/compare/export_module.ts`).
 */
export const RESAMPLE_HELPERS: readonly ((...args: never[]) => unknown)[] = [
  computeTaps,
  buildTaps,
  resampleGrey,
  clampByte,
];
