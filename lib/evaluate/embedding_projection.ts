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
import { matrixFunction } from "../linalg/symmetric_eigen.ts";
import { normalised, rowsByPerson, withinPersonCovariance } from "../linalg/person_covariance.ts";

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
  // W = (S_w + lambda I)^(-1/2)
  const matrix = matrixFunction(within, dim, (v) => 1 / Math.sqrt(Math.max(v, 1e-12)));
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
