/**
 * Fitting of `lda` models: no gradient steps, one pass over the training images. The model's
 * fixed descriptor of every training image is centred and reduced by PCA to `components`
 * whitened dimensions; LDA over the training people (those with at least two images) then keeps
 * the embedding size's most discriminative directions: within-person variation is whitened and
 * the spread of the people's means maximised (Belhumeur et al. 1997, "Fisherfaces"). Projection
 * and offset become the model's parameters, written as a one-epoch checkpoint with its
 * validation figures (`fitted_run.ts`), so that every later stage treats it like a trained one.
 *
 * The PCA of the descriptor covariance (thousands of dimensions) is found by subspace iteration
 * with tfjs matrix products, so only `components`-sized eigenproblems are solved in JavaScript.
 * @module
 */
import { noProgress, progressBars } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import {
  covarianceOfMeans,
  rowsByPerson,
  sortedEigen,
  withinPersonCovariance,
} from "../evaluate/embedding_projection.ts";
import { faceInputs } from "../evaluate/predict_pairs.ts";
import { ModelParams } from "../model/model_params.ts";
import { getModel } from "../model/registry.ts";
import { UserError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { withObjective } from "./objective.ts";
import { finishedFit, saveFit } from "./fitted_run.ts";
import { fitJointBayesian } from "./fit_joint_bayesian.ts";
import { describeFaces, type DescriptorParams } from "./describe_faces.ts";
import {
  type TrainData,
  type TrainParams,
  type TrainRunOptions,
  type TrainRunResult,
} from "./trainer.ts";

/** Subspace iterations of the PCA (the leading components settle within a few). */
const PCA_ITERATIONS = 6;
/** Extra vectors iterated beside the components kept, for faster convergence. */
const PCA_OVERSAMPLING = 32;
/** Rows of the data given to the backend at once by the PCA. */
const PCA_BLOCK_ROWS = 1024;
/**
 * Longest descriptor whose covariance (features x features) the PCA may form: summing it over
 * the blocks holds three such matrices (0.8 GB at this length; the wasm backend has 4 GB).
 */
const MAX_COVARIANCE_FEATURES = 8_192;
/** Added to the within-person covariance's eigenvalues (in whitened units) before inverting. */
const WITHIN_RIDGE = 1e-3;

/** Training faces a fitted descriptor's encoder is fitted on (a seeded sample). */
const ENCODER_FACES = 1500;

/** `a` (n x n, row-major) times `b` (n x m). */
function multiply(a: Float64Array, b: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += aik * b[k * m + j];
    }
  }
  return out;
}

/**
 * The matrix `m` (n x n) that makes `z m` orthonormal, from `gram` = z^T z (Cholesky QR: the
 * columns are first scaled to unit length, so that the Gram matrix is well conditioned even when
 * their lengths differ by orders of magnitude, then m = diag(1 / length) (L^T)^-1). A column
 * that depends on the earlier ones comes out as zeros.
 */
export function orthonormalizer(gram: Float64Array, n: number): Float32Array {
  const length = Float64Array.from(
    { length: n },
    (_, i) => Math.sqrt(Math.max(gram[i * n + i], 1e-30)),
  );
  const l = new Float64Array(n * n);
  const dropped = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) {
      let sum = gram[i * n + j] / (length[i] * length[j]);
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        // A column that depends on the others (pivot about 0) is dropped, not blown up.
        dropped[j] = sum <= 1e-10 ? 1 : 0;
        l[i * n + j] = dropped[j] ? 1 : Math.sqrt(sum);
      } else {
        l[i * n + j] = dropped[j] ? 0 : sum / l[j * n + j];
      }
    }
  }
  // inverse[i][j] = (L^-1)[i][j], lower triangular.
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    inverse[i * n + i] = 1 / l[i * n + i];
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum += l[i * n + k] * inverse[k * n + j];
      inverse[i * n + j] = -sum / l[i * n + i];
    }
  }
  const out = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[r * n + c] = dropped[c] ? 0 : inverse[c * n + r] / length[r];
    }
  }
  return out;
}

/**
 * The projection [features, embedding] and offset [embedding] of PCA (`components`, whitened)
 * then LDA for descriptors `rows` of people `people` (one id per row). The rows reach the backend
 * `blockRows` at a time (default 1,024).
 */
export function fitLdaProjection(
  rows: Float32Array,
  features: number,
  people: ArrayLike<number>,
  options: { components: number; embedding: number; blockRows?: number },
): { projection: Float32Array; offset: Float32Array } {
  const n = people.length;
  const d = Math.min(options.components, features, n - 1);
  if (options.embedding > d) {
    throw new UserError(
      `lda: ${options.embedding} embedding dimensions need at least ${
        options.embedding + 1
      } training images and descriptor values (got ${n} and ${features})`,
    );
  }
  const sums = new Float64Array(features);
  for (let i = 0; i < n; i++) {
    const row = rows.subarray(i * features, (i + 1) * features);
    for (let j = 0; j < features; j++) sums[j] += row[j];
  }
  const meanValues = Float32Array.from(sums, (v) => v / n);
  const mean = tf.tensor2d(meanValues, [1, features]);
  // The data reach the backend a block of rows at a time, centred there: the backend's memory
  // (4 GB at most for wasm) never holds them all (Fisher vectors of 10,000 faces are 1.4 GB).
  const blockRows = options.blockRows ?? PCA_BLOCK_ROWS;
  if (!(blockRows >= 1)) throw new Error(`fitLdaProjection: blockRows ${blockRows} is not >= 1`);
  const eachBlock = (use: (centred: tf.Tensor2D, first: number) => void) =>
    forEachRowBlock(rows, features, blockRows, (block, first) => use(tf.sub(block, mean), first));
  /** The mean over the rows of `part(block)` summed over the blocks (each the same shape). */
  const averageOfBlocks = (part: (centred: tf.Tensor2D) => tf.Tensor): tf.Tensor2D => {
    let total: tf.Tensor | undefined;
    try {
      eachBlock((centred) => {
        const sum = total ? tf.add(total, part(centred)) : part(centred);
        total?.dispose();
        // Kept out of the block's tidy; disposed once added to the next or divided below.
        total = tf.keep(sum);
      });
    } catch (error) {
      total?.dispose();
      throw error;
    }
    const average = tf.div(total!, n) as tf.Tensor2D;
    total!.dispose();
    return average;
  };
  try {
    return tf.tidy(() => {
      // The covariance times a basis: through the data when it has fewer rows than half the
      // features (cheaper than forming the features x features covariance) or when that
      // covariance would not fit the backend's memory, else formed once.
      const covariance = 2 * n < features || features > MAX_COVARIANCE_FEATURES
        ? undefined
        : averageOfBlocks((c) => tf.matMul(c, c, true, false));
      const timesCovariance = (q: tf.Tensor2D): tf.Tensor2D =>
        covariance
          ? tf.matMul(covariance, q)
          : averageOfBlocks((c) => tf.matMul(c, tf.matMul(c, q), true, false));
      // PCA by subspace iteration, each step made orthonormal by a Cholesky QR of its (small)
      // Gram matrix, then Rayleigh-Ritz for the components and their variances.
      // No wider than the centred data's rank (n - 1): the rest would be noise.
      const width = Math.min(d + PCA_OVERSAMPLING, features, n - 1);
      let basis = tf.randomNormal([features, width], 0, 1, "float32", 42) as tf.Tensor2D;
      const orthonormal = (z: tf.Tensor2D) =>
        tf.matMul(
          z,
          tf.tensor2d(
            orthonormalizer(new Float64Array(tf.matMul(z, z, true, false).dataSync()), width),
            [width, width],
          ),
        ) as tf.Tensor2D;
      for (let i = 0; i < PCA_ITERATIONS; i++) basis = orthonormal(timesCovariance(basis));
      const ritz = new Float64Array(
        tf.matMul(basis, timesCovariance(basis), true, false).dataSync(),
      );
      const pca = sortedEigen(ritz, width);
      // Whitened PCA: features x d, column j = component j / sqrt(variance j).
      const rotation = new Float32Array(width * d);
      for (let r = 0; r < width; r++) {
        for (let c = 0; c < d; c++) {
          rotation[r * d + c] = pca.vectors[c][r] / Math.sqrt(Math.max(pca.values[c], 1e-12));
        }
      }
      const whiten = tf.matMul(basis, tf.tensor2d(rotation, [width, d]));
      const y = new Float32Array(n * d); // n x d
      eachBlock((centred, first) => y.set(tf.matMul(centred, whiten).dataSync(), first * d));

      // LDA in the whitened space, on the people with at least two images.
      const groups = rowsByPerson(people).filter((m) => m.length >= 2);
      if (groups.length < 2) {
        throw new UserError("lda: fewer than two training people have two images to learn from");
      }
      const { covariance: within, means } = withinPersonCovariance(
        (i) => y.subarray(i * d, (i + 1) * d),
        d,
        groups,
      );
      const between = covarianceOfMeans(means, d, 0);
      // S_w^(-1/2), then the leading eigenvectors of S_w^(-1/2) S_b S_w^(-1/2).
      const w = sortedEigen(within, d);
      const inverseRoot = new Float64Array(d * d);
      for (let j = 0; j < d; j++) {
        const s = 1 / Math.sqrt(w.values[j] + WITHIN_RIDGE);
        const v = w.vectors[j];
        for (let r = 0; r < d; r++) {
          for (let c = 0; c < d; c++) inverseRoot[r * d + c] += v[r] * s * v[c];
        }
      }
      const scatter = multiply(inverseRoot, multiply(between, inverseRoot, d, d), d, d);
      const lda = sortedEigen(scatter, d);
      const k = options.embedding;
      const directions = new Float64Array(d * k);
      for (let c = 0; c < k; c++) {
        for (let r = 0; r < d; r++) directions[r * k + c] = lda.vectors[c][r];
      }
      const inner = Float32Array.from(multiply(inverseRoot, directions, d, k));
      const projection = tf.matMul(whiten, tf.tensor2d(inner, [d, k]));
      const offset = tf.neg(tf.matMul(mean, projection));
      return {
        projection: projection.dataSync() as Float32Array,
        offset: offset.dataSync() as Float32Array,
      };
    });
  } finally {
    mean.dispose();
  }
}

/**
 * `rows` [n, features] times `projection` [features, embedding] plus `offset`, given to the
 * backend a block of rows at a time (as the PCA's data).
 */
export function projectedRows(
  rows: Float32Array,
  features: number,
  fit: { projection: Float32Array; offset: Float32Array },
  embedding: number,
): Float32Array {
  const n = rows.length / features;
  const out = new Float32Array(n * embedding);
  tf.tidy(() => {
    const projection = tf.tensor2d(fit.projection, [features, embedding]);
    const offset = tf.tensor1d(fit.offset);
    forEachRowBlock(rows, features, PCA_BLOCK_ROWS, (block, first) => {
      out.set(tf.add(tf.matMul(block, projection), offset).dataSync(), first * embedding);
    });
  });
  return out;
}

/**
 * Calls `use` with each block of `blockRows` rows of `rows` [n, features] as a tensor (the last
 * block may be shorter) and the index of its first row, inside a tidy of its own.
 */
function forEachRowBlock(
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

/**
 * Fits an `lda` model in `options.workDir` (the counterpart of `runTraining`, with the same
 * inputs and result): the training images are `data.train.a` with people `data.train.classes`.
 * A finished fit is found again, not redone. It is one pass: `params.epochs` must be 1.
 */
export async function fitLda(
  params: TrainParams,
  data: TrainData,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  const log = options.log ?? console.log;
  const model = withObjective(getModel(params.model), params.objective);
  if (model.objective.kind !== "lda" || !model.fitted) {
    throw new Error(`model ${model.name} is not a fitted (lda) model`);
  }
  if (params.epochs !== 1) {
    throw new UserError(`model ${model.name} is fitted in one pass: epochs must be 1`);
  }
  const done = await finishedFit(options);
  if (done) return done;
  const classes = data.train.classes;
  if (!classes) throw new Error("fitLda: the training images need their people (classes)");
  const started = performance.now();
  // Each step of the fit (minutes each for Fisher vectors) shows its own progress.
  const steps = options.progress === false ? noProgress : progressBars;
  const values = new Map<string, Float32Array>();
  const encoderParams: DescriptorParams = new Map();
  const encoder = model.fitted.encoder;
  if (encoder) {
    // A seeded sample of the training faces is enough for the encoder's fit.
    const sample = new Rng(params.seed).shuffle(Array.from(data.train.a))
      .slice(0, ENCODER_FACES);
    const fitted = await encoder.fit(
      (start, count) =>
        tf.tensor4d(faceInputs(data.faces, data.size, sample, start, count), [
          count,
          data.size,
          data.size,
          1,
        ]),
      sample.length,
      params.seed,
      steps,
    );
    const specs = new Map(model.params.map((p) => [p.name, p.shape]));
    for (const name of encoder.params) {
      values.set(name, fitted.get(name)!);
      encoderParams.set(name, { values: fitted.get(name)!, shape: specs.get(name)! });
    }
    log(`train: lda: descriptor encoder fitted on ${sample.length} training faces`);
  }
  const { rows, features } = await describeFaces(
    model,
    data.faces,
    data.size,
    data.train.a,
    encoderParams,
    { progress: steps },
  );
  log(`train: lda: ${features} descriptor values for ${data.train.a.length} images`);
  const fit = fitLdaProjection(rows, features, classes, {
    components: model.objective.components,
    embedding: model.embeddingSize,
  });
  values.set(model.fitted.projection, fit.projection).set(model.fitted.offset, fit.offset);
  const jb = model.fitted.jointBayesian;
  if (jb) {
    const embeddings = projectedRows(rows, features, fit, model.embeddingSize);
    const scorer = fitJointBayesian(embeddings, model.embeddingSize, classes);
    values.set(jb.a, scorer.a).set(jb.g, scorer.g).set(jb.bias, Float32Array.of(scorer.bias));
    log(`train: joint bayesian: fitted on the ${model.embeddingSize}-value projections`);
  }
  const weights = new ModelParams(model, values);
  try {
    return await saveFit(weights, params, data, {
      ...options,
      started,
      examplesPerSecond: data.train.a.length / ((performance.now() - started) / 1000),
    });
  } finally {
    weights.dispose();
  }
}
