/**
 * Local binary pattern (LBP) histograms, the classical face descriptor (Ahonen et al. 2006):
 * each pixel is coded by which of its 8 neighbours at distance `r` are at least as bright as it,
 * the 58 "uniform" codes (at most two 0/1 transitions around the circle) keep a bin each and the
 * others share one; the face is cut into square cells and each cell's 59-bin histogram of codes,
 * as a share of its pixels, is one block of the descriptor. The square root of the shares
 * (Hellinger mapping) makes Euclidean geometry match histogram similarity better. Brightness
 * changes that keep the order of pixel values leave the descriptor unchanged.
 *
 * It is written with tfjs operations only, so that the same function runs in training, `test`,
 * `compare` and, copied into the export, in the browser.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { lbpHistograms, lbpFeatureSize } from "./lbp_histograms.ts";
 * const faces = tf.randomUniform([2, 64, 64, 1], 0, 255) as tf.Tensor4D;
 * const features = lbpHistograms(faces, [1, 2], 8); // [2, lbpFeatureSize(64, [1, 2], 8)]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Length of {@linkcode multiScaleLbpHistograms}'s descriptor for `size` x `size` faces (the
 * faces at each scale in turn: `size / scale` pixels, rounded down).
 */
export function multiScaleLbpFeatureSize(
  size: number,
  scales: readonly number[],
  radii: readonly number[],
  cell: number,
): number {
  return scales.reduce(
    (sum, s) => sum + lbpFeatureSize(Math.floor(size / s), radii, cell),
    0,
  );
}

/**
 * {@linkcode lbpHistograms} of the faces at several scales, concatenated: scale `s` averages
 * each `s` x `s` block of pixels first (1 keeps the faces as they are). Coarser scales code
 * larger structures (eyes, mouth, the face's outline) with the same cells and radii, the
 * multi-scale descriptor of Chen et al. 2013 ("Blessing of dimensionality") without landmarks.
 * Returns [batch, {@linkcode multiScaleLbpFeatureSize}].
 */
export function multiScaleLbpHistograms(
  images: tf.Tensor4D,
  scales: readonly number[],
  radii: readonly number[],
  cell: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = scales.map((s) =>
      lbpHistograms(s === 1 ? images : tf.avgPool(images, s, s, "valid"), radii, cell)
    );
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
  });
}

/** Length of {@linkcode lbpHistograms}'s descriptor for `size` x `size` faces. */
export function lbpFeatureSize(size: number, radii: readonly number[], cell: number): number {
  return radii.reduce((sum, r) => sum + Math.floor((size - 2 * r) / cell) ** 2 * 59, 0);
}

/**
 * Uniform LBP histograms of grey faces [batch, size, size, 1] (any brightness scale): for each
 * radius in turn, cells of `cell` x `cell` code pixels (the border of `r` pixels has no code, and
 * a remainder of less than a cell at the bottom and right is left out), 59 square-rooted shares
 * per cell, cells in row-major order. Returns [batch, {@linkcode lbpFeatureSize}].
 */
export function lbpHistograms(
  images: tf.Tensor4D,
  radii: readonly number[],
  cell: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    // Bin of each 8-bit code: uniform codes in increasing order, then one bin for the rest.
    const bins: number[] = [];
    let next = 0;
    for (let code = 0; code < 256; code++) {
      let transitions = 0;
      for (let i = 0; i < 8; i++) {
        transitions += ((code >> i) & 1) !== ((code >> ((i + 1) % 8)) & 1) ? 1 : 0;
      }
      bins.push(transitions <= 2 ? next++ : 58);
    }
    // binMatrix[code][bin] = 1 where the code falls in the bin.
    const binMatrix = tf.oneHot(tf.tensor1d(bins, "int32"), 59).toFloat() as tf.Tensor2D;
    const [batch, height, width] = images.shape;
    const parts: tf.Tensor2D[] = [];
    for (const r of radii) {
      const h = height - 2 * r, w = width - 2 * r;
      // Each neighbour minus the centre, for the 8 neighbours (clockwise from the top-left; bit i
      // is neighbour i) of every pixel at once: a convolution with +1/-1 kernels, exact in sign
      // and far faster than slicing shifted copies.
      const k = 2 * r + 1;
      const neighbours = [[-r, -r], [-r, 0], [-r, r], [0, r], [r, r], [r, 0], [r, -r], [0, -r]];
      const kernel = new Float32Array(k * k * 8);
      neighbours.forEach(([dy, dx], i) => {
        kernel[((r + dy) * k + (r + dx)) * 8 + i] = 1;
        kernel[(r * k + r) * 8 + i] = -1;
      });
      const differences = tf.conv2d(images, tf.tensor4d(kernel, [k, k, 1, 8]), 1, "valid");
      const codes = tf.sum(
        tf.mul(
          tf.cast(tf.greaterEqual(differences, tf.scalar(0)), "int32"),
          tf.tensor1d(neighbours.map((_, i) => 1 << i), "int32"),
        ),
        3,
      );
      // Each pixel's code numbered within its cell's 256 (cells row-major; pixels outside the
      // whole cells go to one more, dropped, cell), all of an image's counted at once, then the
      // 256 codes' counts summed into the 59 bins by a product with a 0/1 matrix.
      const gy = Math.floor(h / cell), gx = Math.floor(w / cell), cells = gy * gx;
      const cellOf: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const inside = y < gy * cell && x < gx * cell;
          cellOf.push(256 * (inside ? Math.floor(y / cell) * gx + Math.floor(x / cell) : cells));
        }
      }
      const ids = tf.add(
        tf.reshape(codes, [batch, h * w]),
        tf.tensor1d(cellOf, "int32"),
      ) as tf.Tensor2D;
      const codeCounts = tf.slice(
        tf.denseBincount(ids, tf.tensor2d([], [0, 0], "float32"), 256 * (cells + 1)),
        [0, 0],
        [batch, 256 * cells],
      );
      const counts = tf.matMul(
        tf.reshape(tf.cast(codeCounts, "float32"), [batch * cells, 256]),
        binMatrix,
      );
      const shares = tf.div(tf.cast(counts, "float32"), cell * cell);
      parts.push(tf.reshape(tf.sqrt(shares), [batch, -1]));
    }
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
  });
}

/** Uniform LBP histograms of [batch, size, size, 1] faces (see `lbp_histograms.ts`). */
export class LbpHistograms extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "LbpHistograms";
  readonly radii: number[];
  readonly cell: number;
  /** Scales of the faces (1: as they are; 2: 2x2 blocks averaged); [1] when not given. */
  readonly scales: number[];

  constructor(config: { radii: number[]; cell: number; scales?: number[]; name?: string }) {
    super(config);
    this.radii = config.radii;
    this.cell = config.cell;
    this.scales = config.scales ?? [1];
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const size = inputShape[1] as number;
    let features = 0;
    for (const s of this.scales) {
      const side = Math.floor(size / s);
      for (const r of this.radii) features += Math.floor((side - 2 * r) / this.cell) ** 2 * 59;
    }
    return [inputShape[0], features];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return multiScaleLbpHistograms(x, this.scales, this.radii, this.cell);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), radii: this.radii, cell: this.cell, scales: this.scales };
  }
}
