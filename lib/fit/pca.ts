/**
 * Principal component analysis, a step of the fitted descriptor pipelines: `fitPca` learns the
 * mean and the leading components of descriptor rows, `pcaTransform` centres rows and projects
 * them (whitened or not). Two uses: the Fisher encoder's PCA of SIFT values (128 features,
 * hundreds of thousands of rows) and the projection of Fisher vectors (tens of thousands of
 * features, thousands of rows).
 *
 * Rows reach the tfjs backend a block at a time, centred there: its memory (4 GB at most for
 * wasm) never holds them all (the Fisher vectors of 10,000 faces are 2.7 GB). Up to
 * {@linkcode EXACT_FEATURES} features the covariance is formed and decomposed exactly; above,
 * the leading components are found by subspace iteration (each step made orthonormal by a
 * Cholesky QR of its small Gram matrix, then Rayleigh-Ritz), through the data when it has fewer
 * rows than half the features or the covariance would not fit the backend, else through the
 * covariance formed once.
 *
 * @example
 * ```ts
 * import { fitPca, fitTransformPca, pcaTransform } from "./pca.ts";
 * const pca = fitPca(rows, 128, { components: 64, whiten: false });
 * const reduced = pcaTransform(pca, rows); // n x 64
 * const { state, components } = fitTransformPca(rows, 128, { components: 64, whiten: false });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { orthonormalizer } from "../linalg/cholesky_qr.ts";
import { sortedEigen } from "../linalg/symmetric_eigen.ts";
import { noProgress, type ProgressFactory } from "../util/progress.ts";

/** Subspace iterations (the leading components settle within a few). */
export const PCA_ITERATIONS = 6;
/** Extra vectors iterated beside the components kept, for faster convergence. */
const PCA_OVERSAMPLING = 32;
/** Rows given to the backend at once, at most. */
export const PCA_BLOCK_ROWS = 1024;
/**
 * Most values of one block (128 MB): a pass holds a block, its centred copy and four
 * features x components matrices in the wasm backend's 4 GB, whose freed blocks fragment it;
 * 1,024 rows of 1,024-Gaussian Fisher vectors (135,168 values) took 0.55 GB each and exhausted
 * it after describing View 1's faces.
 */
const PCA_BLOCK_VALUES = 32 * 1024 * 1024;

/** The rows of `features` values each given to the backend at once (at least one). */
export function pcaBlockRows(features: number): number {
  return Math.max(1, Math.min(PCA_BLOCK_ROWS, Math.floor(PCA_BLOCK_VALUES / features)));
}
/** Most features whose covariance is decomposed exactly (Jacobi: cubic in the features). */
export const EXACT_FEATURES = 256;
/**
 * Longest row whose covariance (features x features) may be formed: summing it over the blocks
 * holds three such matrices (0.8 GB at this length; the wasm backend has 4 GB).
 */
const MAX_COVARIANCE_FEATURES = 8_192;
/** Seed of the subspace iteration's starting vectors. */
const START_SEED = 42;

/** A fitted PCA: `(x - mean) basis` gives a row's components. */
export interface PcaState {
  features: number;
  components: number;
  /** Whether each component is divided by its standard deviation. */
  whiten: boolean;
  mean: Float32Array;
  /** features x components, row-major. */
  basis: Float32Array;
  /** The components' variances, largest first. */
  variances: number[];
  /** Rows it was fitted on. */
  rows: number;
}

/** Options of {@linkcode fitPca}. */
export interface PcaOptions {
  /** Components kept (at most the features and the rows less one). */
  components: number;
  whiten: boolean;
  /** Rows given to the backend at once (default {@linkcode pcaBlockRows}). */
  blockRows?: number;
  /** Shows the passes over the data (minutes for Fisher vectors); default none. */
  progress?: ProgressFactory;
}

/** Fits a PCA to `rows` (n x `features`, row-major). */
export function fitPca(rows: Float32Array, features: number, options: PcaOptions): PcaState {
  return fitAndProject(rows, features, options, false).state;
}

/**
 * Fits a PCA to `rows` (n x `features`, row-major) and gives their components, equal to
 * {@linkcode pcaTransform} of the fitted state (scikit-learn's `fit_transform`). When the fit
 * iterates through the data, its last pass multiplies every row by the basis anyway, and the
 * components come from those products, saving a pass (about a fifth of the fit for Fisher
 * vectors).
 */
export function fitTransformPca(
  rows: Float32Array,
  features: number,
  options: PcaOptions,
): { state: PcaState; components: Float32Array } {
  const { state, components } = fitAndProject(rows, features, options, true);
  return { state, components: components ?? pcaTransform(state, rows) };
}

/** {@linkcode fitPca}, with the rows' components when `project` and the fit passes through them. */
function fitAndProject(
  rows: Float32Array,
  features: number,
  options: PcaOptions,
  project: boolean,
): { state: PcaState; components?: Float32Array } {
  const n = rows.length / features;
  const d = Math.min(options.components, features, n - 1);
  const blockRows = options.blockRows ?? pcaBlockRows(features);
  if (!(blockRows >= 1)) throw new Error(`fitPca: blockRows ${blockRows} is not >= 1`);
  const meanValues = columnMeans(rows, features);
  const exact = features <= EXACT_FEATURES;
  const formsCovariance = exact || !(2 * n < features || features > MAX_COVARIANCE_FEATURES);
  // Passes over the data: the covariance, or each subspace iteration and the Rayleigh-Ritz step.
  const passes = formsCovariance ? 1 : PCA_ITERATIONS + 1;
  const progress = (options.progress ?? noProgress)(
    `pca: ${d} of ${features} values, ${passes} pass${passes > 1 ? "es" : ""} over ${n} rows`,
    passes * Math.ceil(n / blockRows),
    "blocks",
  );
  const mean = tf.tensor2d(meanValues, [1, features]);
  /** The mean over the rows of `part(centred block, its first row)` (each the same shape). */
  const averageOfBlocks = (
    part: (centred: tf.Tensor2D, first: number) => tf.Tensor,
  ): tf.Tensor2D => {
    let total: tf.Tensor | undefined;
    try {
      forEachRowBlock(rows, features, blockRows, (block, first) => {
        const p = part(tf.sub(block, mean), first);
        const sum = total ? tf.add(total, p) : p;
        total?.dispose();
        // Kept out of the block's tidy; disposed once added to the next or divided below.
        total = tf.keep(sum);
        progress.advance(1);
      });
    } catch (error) {
      total?.dispose();
      throw error;
    }
    const average = tf.div(total!, n) as tf.Tensor2D;
    total!.dispose();
    return average;
  };
  // The results leave the tidy through these, not as its return value: tidy walks what it
  // returns element by element, and a Fisher projection's basis (27 million values) overflows it.
  let vectors: Float32Array = new Float32Array(0);
  let values: number[] = [];
  let components: Float32Array | undefined;
  try {
    tf.tidy(() => {
      const covariance = formsCovariance
        ? averageOfBlocks((c) => tf.matMul(c, c, true, false))
        : undefined;
      if (exact) {
        const eigen = sortedEigen(new Float64Array(covariance!.dataSync()), features);
        const basis = new Float32Array(features * d);
        for (let r = 0; r < features; r++) {
          for (let c = 0; c < d; c++) basis[r * d + c] = eigen.vectors[c][r];
        }
        vectors = basis;
        values = eigen.values.slice(0, d);
        return;
      }
      // `projected`, when given, receives each centred row times q (n x q's columns).
      const timesCovariance = (q: tf.Tensor2D, projected?: Float32Array): tf.Tensor2D =>
        covariance ? tf.matMul(covariance, q) : averageOfBlocks((c, first) => {
          const cq = tf.matMul(c, q);
          projected?.set(cq.dataSync(), first * q.shape[1]);
          return tf.matMul(c, cq, true, false);
        });
      // No wider than the centred data's rank (n - 1): the rest would be noise.
      const width = Math.min(d + PCA_OVERSAMPLING, features, n - 1);
      let basis = tf.randomNormal([features, width], 0, 1, "float32", START_SEED) as tf.Tensor2D;
      const orthonormal = (z: tf.Tensor2D) =>
        tf.matMul(
          z,
          tf.tensor2d(
            orthonormalizer(new Float64Array(tf.matMul(z, z, true, false).dataSync()), width),
            [width, width],
          ),
        ) as tf.Tensor2D;
      for (let i = 0; i < PCA_ITERATIONS; i++) {
        // Each step's products are freed as the step ends: the tidy around the fit would keep
        // them all (two features x width matrices a step: 3.9 GB of the wasm backend's 4 at
        // 1,200 components of 67,584 values).
        const next = tf.tidy(() => orthonormal(timesCovariance(basis)));
        basis.dispose();
        basis = next;
      }
      const projected = project && !covariance ? new Float32Array(n * width) : undefined;
      const ritz = sortedEigen(
        new Float64Array(
          tf.matMul(basis, timesCovariance(basis, projected), true, false).dataSync(),
        ),
        width,
      );
      const rotation = new Float32Array(width * d);
      for (let r = 0; r < width; r++) {
        for (let c = 0; c < d; c++) rotation[r * d + c] = ritz.vectors[c][r];
      }
      const rotate = tf.tensor2d(rotation, [width, d]);
      vectors = tf.matMul(basis, rotate).dataSync() as Float32Array;
      values = ritz.values.slice(0, d);
      // The rows' components: (x - mean) basis rotation, the products of the last pass rotated.
      if (projected) {
        components = tf.matMul(tf.tensor2d(projected, [n, width]), rotate)
          .dataSync() as Float32Array;
      }
    });
    progress.finish();
    if (options.whiten) {
      // Column j divided by the standard deviation of component j.
      const scale = values.map((v) => 1 / Math.sqrt(Math.max(v, 1e-12)));
      for (let r = 0; r < features; r++) {
        for (let c = 0; c < d; c++) vectors[r * d + c] *= scale[c];
      }
      if (components) {
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < d; c++) components[r * d + c] *= scale[c];
        }
      }
    }
    const state = {
      features,
      components: d,
      whiten: options.whiten,
      mean: meanValues,
      basis: vectors,
      variances: values,
      rows: n,
    };
    return { state, components };
  } finally {
    mean.dispose();
  }
}

/**
 * The components of `rows` (n x features): `(x - mean) basis`, n x components (centred on the
 * backend before the product, as in the fit).
 */
export function pcaTransform(state: PcaState, rows: Float32Array): Float32Array {
  const { features, components: d } = state;
  const out = new Float32Array((rows.length / features) * d);
  tf.tidy(() => {
    const mean = tf.tensor2d(state.mean, [1, features]);
    const basis = tf.tensor2d(state.basis, [features, d]);
    forEachRowBlock(rows, features, pcaBlockRows(features), (block, first) => {
      out.set(tf.matMul(tf.sub(block, mean), basis).dataSync(), first * d);
    });
  });
  return out;
}

/** `-mean basis`: the offset that makes `x basis + offset` equal `(x - mean) basis`. */
export function offsetOf(
  mean: Float32Array,
  basis: Float32Array,
  features: number,
  components: number,
): Float32Array {
  const out = new Float64Array(components);
  for (let r = 0; r < features; r++) {
    const m = mean[r];
    if (m === 0) continue;
    for (let c = 0; c < components; c++) out[c] -= m * basis[r * components + c];
  }
  return Float32Array.from(out);
}

/** The mean of each column of `rows` (n x features), summed in float64. */
function columnMeans(rows: Float32Array, features: number): Float32Array {
  const n = rows.length / features;
  const sums = new Float64Array(features);
  for (let i = 0; i < n; i++) {
    const row = rows.subarray(i * features, (i + 1) * features);
    for (let j = 0; j < features; j++) sums[j] += row[j];
  }
  return Float32Array.from(sums, (v) => v / n);
}

/**
 * Calls `use` with each block of `blockRows` rows of `rows` [n, features] as a tensor (the last
 * block may be shorter) and the index of its first row, inside a tidy of its own.
 */
export function forEachRowBlock(
  rows: Float32Array,
  features: number,
  blockRows: number,
  use: (block: tf.Tensor2D, first: number) => void,
): void {
  const n = rows.length / features;
  for (let first = 0; first < n; first += blockRows) {
    const count = Math.min(blockRows, n - first);
    tf.tidy(() =>
      use(
        tf.tensor2d(rows.subarray(first * features, (first + count) * features), [count, features]),
        first,
      )
    );
  }
}
