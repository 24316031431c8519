/**
 * A learnt projection of identity embeddings for verification: within-class covariance
 * normalisation (WCCN). Fitted on the training people's embeddings (L2-normalised, centred),
 * `W = (S_w + lambda I)^(-1/2)`, where `S_w` is the covariance of each image around its person's
 * mean: directions in which one person's images vary (pose, light) are shrunk, the others kept,
 * and verification is the cosine of the projected embeddings. It needs no test data; its one
 * parameter is fixed (`lambda`).
 *
 * @example
 * ```ts
 * import { fitWccn, projectedCosine } from "./embedding_projection.ts";
 * const wccn = fitWccn(embeddings, people, 8, { lambda: 1e-3 });
 * const score = projectedCosine(wccn, embeddings.subarray(0, 8), embeddings.subarray(8, 16));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ModelParams, type ParamArrays } from "../model/model_params.ts";
import { PROJECTION_BIAS, PROJECTION_KERNEL, withProjection } from "../model/projected_model.ts";
import { embedFaces, faceInputs } from "./predict_pairs.ts";
import { UserError } from "../util/errors.ts";

/** A fitted projection: centre, then multiply by `matrix` (row-major, dim x dim). */
export interface Projection {
  method: "wccn";
  lambda: number;
  dim: number;
  mean: Float64Array;
  matrix: Float64Array;
  /** Images and people it was fitted on. */
  images: number;
  people: number;
}

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi): values and unit vectors. */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p] ** 2;
      for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    }
    if (off <= 1e-24 * diag) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v }; // column j of v is the vector of values[j]
}

/** `row` scaled to unit length (a zero row stays zero), in float64. */
export function normalised(row: ArrayLike<number>): Float64Array {
  let norm = 0;
  for (let k = 0; k < row.length; k++) norm += row[k] * row[k];
  const scale = 1 / (Math.sqrt(norm) || 1);
  return Float64Array.from(row, (x) => x * scale);
}

/**
 * The rows of each person (`people`: one id per row), in order of first appearance: the
 * grouping every fit over training people (LDA, WCCN, Joint Bayesian) starts from.
 */
export function rowsByPerson(people: ArrayLike<number>): number[][] {
  const byPerson = new Map<number, number[]>();
  for (let i = 0; i < people.length; i++) {
    const list = byPerson.get(people[i]);
    if (list) list.push(i);
    else byPerson.set(people[i], [i]);
  }
  return [...byPerson.values()];
}

/**
 * The within-person covariance of `dim`-value rows (`row(i)`: row i) grouped by person
 * (`groups`: each person's row indices; people with fewer than two rows are left out): the mean
 * outer product of each row's offset from its person's mean, over the rows counted. With the
 * people's means, the starting point of every fit over training people (LDA's within scatter,
 * WCCN, Joint Bayesian's variation covariance). Row-major, symmetric.
 */
export function withinPersonCovariance(
  row: (i: number) => ArrayLike<number>,
  dim: number,
  groups: readonly number[][],
): { covariance: Float64Array; means: Float64Array[]; rows: number } {
  const covariance = new Float64Array(dim * dim);
  const means: Float64Array[] = [];
  const diff = new Float64Array(dim);
  let rows = 0;
  for (const group of groups) {
    if (group.length < 2) continue;
    const centre = new Float64Array(dim);
    for (const i of group) {
      const x = row(i);
      for (let k = 0; k < dim; k++) centre[k] += x[k] / group.length;
    }
    means.push(centre);
    for (const i of group) {
      const x = row(i);
      for (let k = 0; k < dim; k++) diff[k] = x[k] - centre[k];
      for (let r = 0; r < dim; r++) {
        const dr = diff[r];
        if (dr === 0) continue;
        for (let c = r; c < dim; c++) covariance[r * dim + c] += dr * diff[c];
      }
      rows++;
    }
  }
  for (let r = 0; r < dim; r++) {
    for (let c = r; c < dim; c++) {
      covariance[c * dim + r] = covariance[r * dim + c] /= Math.max(rows, 1);
    }
  }
  return { covariance, means, rows };
}

/**
 * The covariance of `means` (`dim` values each) around their own mean, divided by their number
 * less `ddof` (0: the population covariance, LDA's between scatter; 1: the sample covariance,
 * Joint Bayesian's identity covariance). Row-major, symmetric.
 */
export function covarianceOfMeans(
  means: readonly Float64Array[],
  dim: number,
  ddof: 0 | 1,
): Float64Array {
  const grand = new Float64Array(dim);
  for (const m of means) for (let k = 0; k < dim; k++) grand[k] += m[k] / means.length;
  const covariance = new Float64Array(dim * dim);
  const diff = new Float64Array(dim);
  for (const m of means) {
    for (let k = 0; k < dim; k++) diff[k] = m[k] - grand[k];
    for (let r = 0; r < dim; r++) {
      for (let c = r; c < dim; c++) covariance[r * dim + c] += diff[r] * diff[c];
    }
  }
  for (let r = 0; r < dim; r++) {
    for (let c = r; c < dim; c++) {
      covariance[c * dim + r] = covariance[r * dim + c] /= means.length - ddof;
    }
  }
  return covariance;
}

/**
 * Fits WCCN on `embeddings` (N x `dim`, row-major) labelled by `people` (one id per row);
 * people with one image add to the mean only.
 */
export function fitWccn(
  embeddings: Float32Array,
  people: ArrayLike<number>,
  dim: number,
  options: { lambda: number },
): Projection {
  const n = people.length;
  const rows = Array.from(
    { length: n },
    (_, i) => normalised(embeddings.subarray(i * dim, (i + 1) * dim)),
  );
  const mean = new Float64Array(dim);
  for (const r of rows) for (let k = 0; k < dim; k++) mean[k] += r[k] / n;
  const byPerson = rowsByPerson(people);
  const { covariance: within, means, rows: counted } = withinPersonCovariance(
    (i) => rows[i],
    dim,
    byPerson,
  );
  if (counted === 0) {
    throw new UserError("--projection wccn: no training person has two images to learn from");
  }
  for (let i = 0; i < dim; i++) within[i * dim + i] += options.lambda;
  const { values, vectors } = symmetricEigen(within, dim);
  // W = V diag(1 / sqrt(values)) V^T
  const matrix = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) {
    const w = 1 / Math.sqrt(Math.max(values[k], 1e-12));
    for (let i = 0; i < dim; i++) {
      const vik = vectors[i * dim + k] * w;
      if (vik === 0) continue;
      for (let j = 0; j < dim; j++) matrix[i * dim + j] += vik * vectors[j * dim + k];
    }
  }
  return {
    method: "wccn",
    lambda: options.lambda,
    dim,
    mean,
    matrix,
    images: counted,
    people: means.length,
  };
}

/** The projection of one embedding (normalised, centred, multiplied), normalised. */
export function project(projection: Projection, embedding: ArrayLike<number>): Float64Array {
  const { dim, mean, matrix } = projection;
  const x = normalised(embedding);
  for (let k = 0; k < dim; k++) x[k] -= mean[k];
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += matrix[i * dim + k] * x[k];
    out[i] = sum;
  }
  return normalised(out);
}

/**
 * The projection as the parameters of `withProjection`'s layer (unit(x) K + b): K = W^T and
 * b = -mean K, so that the layer computes W (unit(x) - mean).
 */
export function projectionParamArrays(projection: Projection): ParamArrays {
  const { dim, mean, matrix } = projection;
  const kernel = new Float32Array(dim * dim);
  const bias = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) kernel[i * dim + j] = matrix[j * dim + i];
  }
  for (let j = 0; j < dim; j++) {
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += mean[i] * matrix[j * dim + i];
    bias[j] = -sum;
  }
  return new Map([[PROJECTION_KERNEL, kernel], [PROJECTION_BIAS, bias]]);
}

/**
 * The trained parameters with `projection` before the head ({@linkcode withProjection}): the
 * one way `test`, `compare` and `export` score through a projection. Frees `params`.
 */
export async function projectedParams(
  params: ModelParams,
  projection: Projection,
): Promise<ModelParams> {
  const values = await params.readArrays();
  params.dispose();
  return new ModelParams(
    withProjection(params.model),
    new Map([...values, ...projectionParamArrays(projection)]),
  );
}

/** The projection as JSON (the test artifact's `projection.json`). */
export function projectionToJson(projection: Projection): Record<string, unknown> {
  return { ...projection, mean: [...projection.mean], matrix: [...projection.matrix] };
}

/** Reads {@linkcode projectionToJson}'s output back, checking its sizes. */
export function projectionFromJson(json: Record<string, unknown>, file: string): Projection {
  const dim = json.dim as number;
  const mean = json.mean as number[], matrix = json.matrix as number[];
  if (
    json.method !== "wccn" || !Number.isInteger(dim) || !Array.isArray(mean) ||
    !Array.isArray(matrix) || mean.length !== dim || matrix.length !== dim * dim
  ) {
    throw new UserError(`${file}: not a projection of this project (method, dim, mean, matrix)`);
  }
  return {
    method: "wccn",
    lambda: json.lambda as number,
    dim,
    mean: Float64Array.from(mean),
    matrix: Float64Array.from(matrix),
    images: json.images as number,
    people: json.people as number,
  };
}

/** The cosine of two embeddings after the projection, in [-1, 1]. */
export function projectedCosine(
  projection: Projection,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): number {
  const pa = project(projection, a), pb = project(projection, b);
  let sum = 0;
  for (let k = 0; k < pa.length; k++) sum += pa[k] * pb[k];
  return sum;
}

/**
 * Embeddings (inference mode) of the faces `indices` of `pixels` (N x size x size bytes),
 * averaged with their mirror images' when `flip`: indices.length x embeddingSize, row-major.
 */
export function embedPreparedFaces(
  params: ModelParams,
  pixels: Uint8Array,
  size: number,
  indices: ArrayLike<number>,
  options: { flip: boolean; batch?: number },
): Float32Array {
  const dim = params.model.embeddingSize;
  const out = new Float32Array(indices.length * dim);
  const batch = options.batch ?? 256;
  for (let start = 0; start < indices.length; start += batch) {
    const count = Math.min(batch, indices.length - start);
    const input = faceInputs(pixels, size, indices, start, count);
    const embedded = tf.tidy(() =>
      embedFaces(params, tf.tensor4d(input, [count, size, size, 1]), options.flip)
    );
    out.set(embedded.dataSync() as Float32Array, start * dim);
    embedded.dispose();
  }
  return out;
}

/** Eigenpairs of a symmetric matrix sorted by decreasing value (vectors as columns). */
export function sortedEigen(
  matrix: Float64Array,
  n: number,
): { values: number[]; vectors: number[][] } {
  // Products computed in float32 are symmetric only up to rounding; the solver needs symmetry.
  const symmetric = Float64Array.from(
    matrix,
    (v, k) => (v + matrix[(k % n) * n + Math.floor(k / n)]) / 2,
  );
  const { values, vectors } = symmetricEigen(symmetric, n);
  const order = Array.from(values.keys()).sort((i, j) => values[j] - values[i]);
  return {
    values: order.map((i) => values[i]),
    vectors: order.map((i) => Array.from({ length: n }, (_, r) => vectors[r * n + i])),
  };
}
