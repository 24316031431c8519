/**
 * Gabor magnitude features, the second classical face descriptor here (after LBP histograms):
 * each face is filtered by a bank of complex Gabor wavelets (Lades et al. 1993; Liu & Wechsler
 * 2002: `scales` wavelengths from 4 pixels, each sqrt(2) times the last, at `orientations`
 * evenly spaced angles), the magnitudes of the responses are sampled every `stride` pixels and
 * averaged over `pool` x `pool` samples, and the whole vector is divided by its mean and
 * square-rooted. The magnitude varies smoothly with position (unlike LBP codes), so it describes
 * the face's shape at several scales, and its errors differ from LBP's: fused, the two do better
 * than either (measured on View 1 before this was built; see the README).
 *
 * The wavelets' Gaussian envelope (sigma = 2 pi wavelengths / 2 pi) makes their DC term
 * negligible (exp(-2 pi^2) < 3e-9), so each is the product of a horizontal and a vertical complex
 * wavelet; the filtering is then two matrix products per face and wavelet, with banded
 * matrices of the 1-D wavelets, computed with tfjs operations only, so the same function runs in
 * training, `test`, `compare` and, copied into the export, in the browser. The face outside the
 * image counts as its mean (the mean is subtracted first, and the borders are zeros).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gaborMagnitudes, gaborFeatureSize } from "./gabor_magnitudes.ts";
 * const options = { scales: 5, orientations: 8, stride: 2, pool: 2 };
 * const faces = tf.randomUniform([2, 64, 64, 1], 0, 255) as tf.Tensor4D;
 * const features = gaborMagnitudes(faces, options); // [2, gaborFeatureSize(64, options)]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A Gabor bank and how its magnitudes are sampled. */
export interface GaborOptions {
  /** Wavelengths 4, 4 sqrt(2), 8, ... pixels: this many. */
  scales: number;
  /** Angles 0, pi / n, 2 pi / n, ...: this many. */
  orientations: number;
  /** The responses are computed every `stride` pixels, down and across. */
  stride: number;
  /** Then averaged over `pool` x `pool` of those samples. */
  pool: number;
}

/** Length of {@linkcode gaborMagnitudes}'s descriptor for `size` x `size` faces. */
export function gaborFeatureSize(size: number, options: GaborOptions): number {
  const cells = Math.floor(Math.floor(size / options.stride) / options.pool);
  return options.scales * options.orientations * cells * cells;
}

/**
 * The 1-D wavelets of the bank as banded matrices, [wavelets, out, size] each, row-major in one
 * Float32Array: `cosX`/`sinX` the horizontal factor's real and imaginary parts, `cosY`/`sinY`
 * the vertical one's, at output positions `stride * o + (stride - 1) / 2` (the centre of each
 * `stride` x `stride` block). Wavelet k is scale `floor(k / orientations)`, angle
 * `k % orientations`.
 */
export function gaborBank(
  size: number,
  options: GaborOptions,
): { out: number; cosX: Float32Array; sinX: Float32Array; cosY: Float32Array; sinY: Float32Array } {
  const out = Math.floor(size / options.stride);
  const count = options.scales * options.orientations;
  const [cosX, sinX, cosY, sinY] = [0, 0, 0, 0].map(() => new Float32Array(count * out * size));
  const sigma = 2 * Math.PI;
  for (let v = 0; v < options.scales; v++) {
    const k = Math.PI / 2 / Math.pow(Math.SQRT2, v);
    for (let u = 0; u < options.orientations; u++) {
      const angle = Math.PI * u / options.orientations;
      const [kx, ky] = [k * Math.cos(angle), k * Math.sin(angle)];
      const base = (v * options.orientations + u) * out * size;
      for (let o = 0; o < out; o++) {
        const centre = options.stride * o + (options.stride - 1) / 2;
        for (let i = 0; i < size; i++) {
          const d = i - centre;
          const envelope = k / sigma * Math.exp(-k * k * d * d / (2 * sigma * sigma));
          const at = base + o * size + i;
          cosX[at] = envelope * Math.cos(kx * d);
          sinX[at] = envelope * Math.sin(kx * d);
          cosY[at] = envelope * Math.cos(ky * d);
          sinY[at] = envelope * Math.sin(ky * d);
        }
      }
    }
  }
  return { out, cosX, sinX, cosY, sinY };
}

/**
 * Gabor magnitude features of grey faces [batch, size, size, 1] (any brightness scale; the
 * result does not change when the brightness is scaled or shifted): for each wavelet in turn,
 * its pooled magnitudes in row-major order, the whole divided by its mean and square-rooted.
 * Returns [batch, {@linkcode gaborFeatureSize}].
 */
export function gaborMagnitudes(images: tf.Tensor4D, options: GaborOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, size] = images.shape;
    const bank = gaborBank(size, options);
    const count = options.scales * options.orientations;
    const out = bank.out;
    const x = tf.reshape(images, [batch, size, size]);
    const centred = tf.sub(x, tf.mean(x, [1, 2], true));
    // Down the columns first, every wavelet at once: one product of the faces' columns
    // [batch * size (x), size (y)] with [size (y), (cos, sin) x wavelet x out (y)].
    const columnMatrix = tf.transpose(
      tf.reshape(
        tf.stack([
          tf.tensor3d(bank.cosY, [count, out, size]),
          tf.tensor3d(bank.sinY, [count, out, size]),
        ]),
        [2 * count * out, size],
      ),
    );
    const columns = tf.matMul(
      tf.reshape(tf.transpose(centred, [0, 2, 1]), [batch * size, size]),
      columnMatrix,
    ); // [batch, x, (cos, sin) x wavelet, out (y)]
    // Wavelet-major for the rows: [(cos, sin), wavelet, batch * out (y), size (x)] (rank-4
    // transposes only: the wasm backend's higher-rank ones are slow).
    const [byCos, bySin] = tf.split(
      tf.reshape(
        tf.transpose(tf.reshape(columns, [batch, size, 2 * count, out]), [2, 0, 3, 1]),
        [2, count, batch * out, size],
      ),
      2,
    ).map((t) => tf.reshape(t, [count, batch * out, size]));
    // Along the rows, as complex products: (Cy + i Sy)(Cx + i Sx) = (Cy Cx - Sy Sx) +
    // i (Cy Sx + Sy Cx), so [re | im] = byCos [Cx | Sx] + bySin [-Sx | Cx], per wavelet.
    const cx = tf.transpose(tf.tensor3d(bank.cosX, [count, out, size]), [0, 2, 1]);
    const sx = tf.transpose(tf.tensor3d(bank.sinX, [count, out, size]), [0, 2, 1]);
    const response = tf.add(
      tf.matMul(byCos, tf.concat([cx, sx], 2)),
      tf.matMul(bySin, tf.concat([tf.neg(sx), cx], 2)),
    ); // [wavelet, batch * out (y), (re, im) x out (x)]
    // |re + i im|: the squares of each pair summed by a product with [[I], [I]].
    const pairs = tf.concat([tf.eye(out), tf.eye(out)], 0);
    const magnitude = tf.sqrt(
      tf.matMul(tf.reshape(tf.square(response), [count * batch * out, 2 * out]), pairs),
    );
    const maps = tf.reshape(magnitude, [count * batch, out, out, 1]);
    const pooled = options.pool > 1
      ? tf.avgPool(maps as tf.Tensor4D, options.pool, options.pool, "valid")
      : maps;
    const features = tf.reshape(
      tf.transpose(tf.reshape(pooled, [count, batch, -1]), [1, 0, 2]),
      [batch, -1],
    );
    return tf.sqrt(tf.div(features, tf.add(tf.mean(features, 1, true), 1e-9))) as tf.Tensor2D;
  });
}

/** Gabor magnitude features of [batch, size, size, 1] faces (`gabor_magnitudes.ts`). */
export class GaborMagnitudes extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "GaborMagnitudes";
  readonly scales: number;
  readonly orientations: number;
  readonly stride: number;
  readonly pool: number;

  constructor(
    config: { scales: number; orientations: number; stride: number; pool: number; name?: string },
  ) {
    super(config);
    this.scales = config.scales;
    this.orientations = config.orientations;
    this.stride = config.stride;
    this.pool = config.pool;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const cells = Math.floor(Math.floor((inputShape[1] as number) / this.stride) / this.pool);
    return [inputShape[0], this.scales * this.orientations * cells * cells];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return gaborMagnitudes(x, this);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { scales, orientations, stride, pool } = this;
    return { ...super.getConfig(), scales, orientations, stride, pool };
  }
}
