/**
 * Fitting of a Fisher vector encoder (`lib/model/fisher_vectors.ts`) on training faces: the PCA
 * of their dense SIFT descriptors, then a Gaussian mixture with diagonal covariances over the
 * reduced descriptors and their positions, by expectation-maximisation (Dempster et al. 1977)
 * started from randomly chosen descriptors. A seeded sample of the descriptors is enough (the
 * training faces have millions; the mixture has tens of thousands of values, a sample of
 * 200,000 pins them down), and keeps the fit to about a minute on a CPU.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fitFisherEncoder } from "./fit_fisher_encoder.ts";
 * const faces = tf.randomUniform([20, 64, 64, 1]) as tf.Tensor4D;
 * const encoder = await fitFisherEncoder((start, count) => faces.slice(start, count), 20, {
 *   cell: 3, step: 2, scales: [1], components: 16, gaussians: 8, iterations: 5,
 *   descriptors: 10000, seed: 42,
 * });
 * encoder.means.length; // 8 * (16 + 2)
 * ```
 * @module
 */
import { noProgress, type ProgressFactory } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import { fitPca, forEachRowBlock } from "../fit/pca.ts";
import {
  type DenseSiftOptions,
  encoderInputs,
  localDescriptors,
  logLikelihoodWeights,
  type MixtureMoments,
  mixtureMoments,
} from "../model/fisher_vectors.ts";
import { Rng } from "../util/rng.ts";
import { yieldToEventLoop } from "../util/worker_call.ts";
import { concatRows } from "../util/concat_rows.ts";

/** How the encoder is fitted. */
export interface FisherEncoderFitOptions extends DenseSiftOptions {
  /** PCA components kept of the 128 SIFT values. */
  components: number;
  /** Gaussians of the mixture. */
  gaussians: number;
  /** Expectation-maximisation steps. */
  iterations: number;
  /** Shows the sampling of descriptors and the iterations. */
  progress?: ProgressFactory;
  /** Local descriptors sampled (evenly over the faces) to fit on. */
  descriptors: number;
  seed: number;
}

/** A fitted encoder's values, row-major (the shapes of `FisherEncoder`). */
export interface FisherEncoderValues {
  siftMean: Float32Array;
  siftBasis: Float32Array;
  means: Float32Array;
  variances: Float32Array;
  weights: Float32Array;
}

/** Faces fed to the descriptor at once. */
const BATCH = 64;
/** Smallest variance of a Gaussian, relative to the data's variance in that dimension. */
const VARIANCE_FLOOR = 1e-4;

/**
 * Rows of the descriptors whose posteriors are computed at once in an expectation step: all
 * 200,000 sampled rows against 512 Gaussians need several 400 MB tensors at once, beyond the wasm
 * backend's 4 GB; blocks of 16,384 rows need about 35 MB each.
 */
export const POSTERIOR_BLOCK_ROWS = 16_384;

/**
 * The expectation step's sums over the rows of `x` [rows, dims]: each Gaussian's posterior
 * `mass` [gaussians], `first` moment (sum of posterior x row) and `second` moment (of the squared
 * row) [gaussians, dims], computed `blockRows` rows at a time.
 */
export function posteriorMoments(
  x: tf.Tensor2D,
  mixture: Parameters<typeof logLikelihoodWeights>[0],
  blockRows = POSTERIOR_BLOCK_ROWS,
): { mass: tf.Tensor1D; first: tf.Tensor2D; second: tf.Tensor2D } {
  if (!(Number.isInteger(blockRows) && blockRows > 0)) {
    throw new RangeError(`posteriorMoments: block of ${blockRows} rows`);
  }
  const dims = x.shape[1];
  const gaussians = mixture.weights.shape[0] as number;
  const weights = logLikelihoodWeights(mixture);
  let sums: MixtureMoments = {
    second: tf.zeros([1, gaussians, dims]),
    first: tf.zeros([1, gaussians, dims]),
    mass: tf.zeros([1, gaussians, 1]),
  };
  try {
    // Blocks made from the values, not sliced from `x`: the wasm backend's slices of a large
    // tensor cost more than the moments themselves.
    forEachRowBlock(x.dataSync() as Float32Array, dims, blockRows, (block) => {
      const moments = mixtureMoments(tf.expandDims(block, 0) as tf.Tensor3D, weights);
      const next = {
        second: tf.keep(tf.add(sums.second, moments.second)),
        first: tf.keep(tf.add(sums.first, moments.first)),
        mass: tf.keep(tf.add(sums.mass, moments.mass)),
      };
      tf.dispose([sums.second, sums.first, sums.mass]);
      sums = next;
    });
    return tf.tidy(() => ({
      second: tf.squeeze(sums.second, [0]),
      first: tf.squeeze(sums.first, [0]),
      mass: tf.reshape(sums.mass, [-1]),
    })) as { mass: tf.Tensor1D; first: tf.Tensor2D; second: tf.Tensor2D };
  } finally {
    tf.dispose([weights, sums.second, sums.first, sums.mass]);
  }
}

/**
 * Fits an encoder on `count` faces, `faces(start, n)` giving faces [n, size, size, 1].
 */
export async function fitFisherEncoder(
  faces: (start: number, count: number) => tf.Tensor4D,
  count: number,
  options: FisherEncoderFitOptions,
): Promise<FisherEncoderValues> {
  const rng = new Rng(options.seed);
  // A seeded sample of local descriptors, the same share of every batch's.
  const siftRows: Float32Array[] = [];
  const placeRows: Float32Array[] = [];
  let sampled = 0;
  const progress = options.progress ?? noProgress;
  const sampling = progress("encoder: sampling descriptors", count, "faces");
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const batch = faces(start, n);
    const parts = localDescriptors(batch, options);
    batch.dispose();
    // Rows [face, place] of every scale, numbered one scale after the other.
    const sizes = parts.map((part) => part.positions.shape[0]);
    const total = n * sizes.reduce((a, b) => a + b, 0);
    const want = Math.min(total, Math.round((options.descriptors * (start + n)) / count) - sampled);
    const all: Float32Array[] = [], where: Float32Array[] = [];
    for (const part of parts) {
      all.push(await part.sift.data() as Float32Array);
      where.push(await part.positions.data() as Float32Array);
      part.sift.dispose(), part.positions.dispose();
    }
    const chosen = new Float32Array(want * 128);
    const at = new Float32Array(want * 2);
    for (let i = 0; i < want; i++) {
      let row = rng.nextInt(total), s = 0;
      while (row >= n * sizes[s]) row -= n * sizes[s++];
      chosen.set(all[s].subarray(row * 128, row * 128 + 128), i * 128);
      const place = row % sizes[s];
      at.set(where[s].subarray(place * 2, place * 2 + 2), i * 2);
    }
    siftRows.push(chosen), placeRows.push(at);
    sampled += want;
    sampling.advance(n);
    await yieldToEventLoop(); // Ctrl-C, progress
  }
  sampling.finish();
  const siftValues = concatRows(siftRows);
  const sift = tf.tensor2d(siftValues, [sampled, 128]);
  const positions = tf.tensor2d(concatRows(placeRows), [sampled, 2]);

  // PCA of the SIFT values (not whitened).
  const pca = fitPca(siftValues, 128, { components: options.components, whiten: false });
  const k = pca.components;
  const siftMean = tf.tensor1d(pca.mean);
  const basis = pca.basis;
  const siftBasis = tf.tensor2d(basis, [128, k]);
  const x = tf.tidy(() =>
    tf.reshape(
      encoderInputs(
        tf.reshape(sift, [1, sampled, 128]),
        positions,
        { siftMean, siftBasis },
      ),
      [sampled, k + 2],
    ) as tf.Tensor2D
  );
  sift.dispose(), positions.dispose();

  // Expectation-maximisation of a diagonal Gaussian mixture.
  const gaussians = options.gaussians;
  const starts = Int32Array.from(rng.shuffle(Array.from({ length: sampled }, (_, i) => i)))
    .subarray(0, gaussians);
  let means = tf.gather(x, starts) as tf.Tensor2D;
  const moments = tf.moments(x, 0);
  const dataVariance = moments.variance;
  moments.mean.dispose();
  const floor = tf.mul(dataVariance, VARIANCE_FLOOR);
  let variances = tf.tile(tf.expandDims(dataVariance, 0), [gaussians, 1]) as tf.Tensor2D;
  let weights = tf.fill([gaussians], 1 / gaussians) as tf.Tensor1D;
  const em = progress(
    `encoder: ${gaussians} Gaussians on ${sampled} descriptors`,
    options.iterations,
    "iterations",
  );
  for (let i = 0; i < options.iterations; i++) {
    const next = tf.tidy(() => {
      const { mass, first, second } = posteriorMoments(x, { means, variances, weights });
      const column = tf.expandDims(tf.add(mass, 1e-6), 1);
      const m = tf.div(first, column);
      const v = tf.maximum(tf.sub(tf.div(second, column), tf.square(m)), floor);
      // Normalised by their own sum (float32 sums of many posteriors drift from `sampled`).
      const w = tf.maximum(tf.add(mass, 1e-6), 1e-8 * sampled);
      return [m, v, tf.div(w, tf.sum(w))] as tf.Tensor[];
    });
    means.dispose(), variances.dispose(), weights.dispose();
    [means, variances, weights] = next as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    em.advance(1);
    await yieldToEventLoop(); // Ctrl-C, progress
  }
  em.finish();
  const result: FisherEncoderValues = {
    siftMean: await siftMean.data() as Float32Array,
    siftBasis: basis,
    means: await means.data() as Float32Array,
    variances: await variances.data() as Float32Array,
    weights: await weights.data() as Float32Array,
  };
  tf.dispose([x, siftMean, siftBasis, means, variances, weights, dataVariance, floor]);
  return result;
}
