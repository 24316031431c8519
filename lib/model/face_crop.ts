/**
 * The crop step of a descriptor pipeline: a rectangle of the faces a model reads, resampled to a
 * square, so that models reading different crops of one image (the head with hair and chin, the
 * face from forehead to chin) can share one set of prepared faces, and so be members of one
 * ensemble (`train --members`), tested, compared and exported like any other model.
 *
 * The faces are prepared 1:1 from a `frame` of LFW's 250x250 image that holds every crop, with
 * a margin for the filter where a crop is shrunk ({@linkcode cropWithin}); the crop then
 * resamples its `region` with the same antialiased triangle filter as the face preprocessing
 * (`lib/data/resample.ts`), so a crop of the frame is the face that `prepare` would have made
 * from the region directly, up to its rounding to bytes (a test checks it). The filter is
 * restated here as a matrix rather than imported, because the preprocessing's module is part of
 * every prepared dataset's key.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cropFaces, cropWithin } from "./face_crop.ts";
 * const crop = cropWithin([48, 50, 202, 204], [62, 52, 188, 202], 100);
 * // { left: 14, top: 2, width: 126, height: 150, size: 100 }
 * const faces = tf.zeros([2, 154, 154, 1]) as tf.Tensor4D;
 * cropFaces(faces, crop).shape; // [2, 100, 100, 1]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The square of LFW's frame (154x154 pixels, centred across like the frame) that holds both the
 * head crop and the 100x100 face box, the faces of the crop models (`fisher_model.ts`) are prepared from at
 * 1:1. It reaches 2 pixels beyond the head crop's top and bottom, which the crop's filter reads
 * when it shrinks the crop, so that the crop equals the face prepared from the crop directly. It
 * is symmetric about the frame's centre line, as both crops are, so a mirrored frame holds the
 * mirrored crops.
 */
export const HEAD_AND_FACE_FRAME: readonly [number, number, number, number] = Object.freeze(
  [48, 50, 202, 204] as const,
);

/** A rectangle of a model's input faces (pixels) and the side of the square it becomes. */
export interface FaceCropRegion {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Side of the cropped faces. */
  size: number;
}

/**
 * The crop, in the pixels of faces prepared 1:1 from `frame` ([left, top, right, bottom] of
 * LFW's 250x250 image), that reads `region` (in the same coordinates) at `size` x `size`.
 */
export function cropWithin(
  frame: readonly [number, number, number, number],
  region: readonly [number, number, number, number],
  size: number,
): FaceCropRegion {
  const [fl, ft, fr, fb] = frame, [l, t, r, b] = region;
  if (l < fl || t < ft || r > fr || b > fb || r <= l || b <= t) {
    throw new Error(`cropWithin: region ${region} is not inside frame ${frame}`);
  }
  return { left: l - fl, top: t - ft, width: r - l, height: b - t, size };
}

/**
 * Why box `crop` cannot be read from faces prepared 1:1 from box `frame` (both of LFW's 250x250
 * image), in words; undefined when it can. The frame must be a square (its faces are prepared
 * 1:1), hold the crop, and share the crop's vertical centre line: mirror averaging (a pipeline's
 * `mirror` step, `--tta`) flips the whole frame, and the flipped frame holds the crop's mirror
 * image only when both are centred alike (half a pixel allowed: LFWcrop's box is centred at
 * 124.5, the frames at 125).
 *
 * @example
 * ```ts
 * frameCropProblem([48, 50, 202, 204], [75, 84, 175, 184]); // undefined
 * frameCropProblem([48, 50, 202, 204], [60, 84, 160, 184]);
 * // "crop 60_84_160_184 is not centred across frame 48_50_202_204 (15 pixels left of its centre line) ..."
 * ```
 */
export function frameCropProblem(
  frame: readonly [number, number, number, number],
  crop: readonly [number, number, number, number],
): string | undefined {
  const [fl, ft, fr, fb] = frame, [l, t, r, b] = crop;
  const f = frame.join("_"), c = crop.join("_");
  if (fr - fl !== fb - ft) return `frame ${f} is not a square (its faces are prepared 1:1)`;
  if (l < fl || t < ft || r > fr || b > fb) return `crop ${c} is not inside frame ${f}`;
  const offCentre = (l + r) / 2 - (fl + fr) / 2;
  if (Math.abs(offCentre) > 0.5) {
    const off = Math.abs(offCentre);
    return `crop ${c} is not centred across frame ${f} (${off} pixel${off === 1 ? "" : "s"} ${
      offCentre < 0 ? "left" : "right"
    } of its centre line): a flipped frame would hold another region, not the crop's mirror image`;
  }
  return undefined;
}

/**
 * Where a descriptor model reads its faces: prepared from `box` at `size` x `size`, or, given a
 * `frame`, prepared 1:1 from the frame with `box` read from them as a crop at `size` (so that
 * models reading other crops of the frame share its prepared faces and can be fused).
 */
export function facePlacement(
  box: readonly [number, number, number, number],
  size: number,
  frame?: readonly [number, number, number, number],
): {
  inputSize: number;
  preparedBox: readonly [number, number, number, number];
  crop?: FaceCropRegion;
} {
  const problem = frame && frameCropProblem(frame, box);
  if (problem) throw new Error(`facePlacement: ${problem}`);
  return frame
    ? { inputSize: frame[2] - frame[0], preparedBox: frame, crop: cropWithin(frame, box, size) }
    : { inputSize: size, preparedBox: box };
}

/**
 * The triangle filter of `lib/data/resample.ts` as a dense matrix [outLen, srcLen] (row-major):
 * output sample o of the span [from, from + len) of a line of `srcLen` pixels is row o times
 * the line. Its support widens with the reduction factor, so shrinking averages every covered
 * pixel; a span of `outLen` whole pixels gives the identity's rows.
 */
export function resampleMatrix(
  srcLen: number,
  from: number,
  len: number,
  outLen: number,
): Float32Array {
  const scale = len / outLen;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const matrix = new Float32Array(outLen * srcLen);
  for (let o = 0; o < outLen; o++) {
    const center = from + (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(srcLen, Math.ceil(center + support));
    let total = 0;
    for (let i = lo, n = 0; i < hi && n < maxTaps; i++, n++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - center) / support);
      matrix[o * srcLen + i] = w;
      total += w;
    }
    for (let i = lo; i < hi; i++) matrix[o * srcLen + i] /= total || 1;
  }
  return matrix;
}

/** `crop` of faces [batch, height, width, 1]: [batch, size, size, 1]. */
export function cropFaces(images: tf.Tensor4D, crop: FaceCropRegion): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width] = images.shape;
    const size = crop.size;
    const across = tf.tensor2d(resampleMatrix(width, crop.left, crop.width, size), [size, width]);
    const down = tf.tensor2d(resampleMatrix(height, crop.top, crop.height, size), [size, height]);
    // Rows first ([batch * height, width] x across^T), then columns, as two plain products.
    const rows = tf.matMul(tf.reshape(images, [batch * height, width]), across, false, true);
    const columns = tf.reshape(
      tf.transpose(tf.reshape(rows, [batch, height, size]), [0, 2, 1]),
      [batch * size, height],
    );
    const both = tf.matMul(columns, down, false, true);
    return tf.reshape(
      tf.transpose(tf.reshape(both, [batch, size, size]), [0, 2, 1]),
      [batch, size, size, 1],
    ) as tf.Tensor4D;
  });
}

/** {@linkcode cropFaces} as a layer without weights, for the export. */
export class FaceCrop extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "FaceCrop";
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly size: number;

  constructor(config: FaceCropRegion & { name?: string }) {
    super(config);
    this.left = config.left;
    this.top = config.top;
    this.width = config.width;
    this.height = config.height;
    this.size = config.size;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], this.size, this.size, 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return cropFaces(x, this);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { left, top, width, height, size } = this;
    return { ...super.getConfig(), left, top, width, height, size };
  }
}
