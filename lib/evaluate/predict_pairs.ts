/**
 * Same-person probabilities of many pairs with a trained model (inference mode), optionally with
 * test-time augmentation (the mean of N augmented predictions per pair, the original's "50 runs"
 * mode), plus the mean loss and the accuracy at 0.5.
 * @module
 */
import type { ProgressSink } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import { AUGMENT_DEFAULTS } from "../augment/affine_augmenter.ts";
import type { ModelParams } from "../model/model_params.ts";
import { INFERENCE_CONTEXT } from "../train/forward_context.ts";
import { batchCount, type BatchSourceInput, makeBatch, STREAMS } from "../train/pair_batches.ts";

/** Results of {@linkcode predictPairs}. */
export interface PairPredictions {
  /** Same-person probability per pair, in pair order. */
  probabilities: Float32Array;
  /** Mean binary cross-entropy of the probabilities. */
  loss: number;
  /** Fraction of pairs on the right side of 0.5. */
  accuracy: number;
}

/** Options of {@linkcode predictPairs}. */
export interface PredictOptions {
  /** Rounds of test-time augmentation (0: none, the input's `augment` must then be null). */
  tta?: number;
  /**
   * Embed each face and its mirror image and average the two embeddings before comparing
   * (faces are near-symmetric, so this removes some pose and lighting noise). Default false.
   */
  flip?: boolean;
  /** Shows the faces embedded (plain passes; a descriptor model takes minutes for thousands). */
  progress?: ProgressSink;
}

/**
 * Same-person logits [batch, 1] of image batches in inference mode, the one place where a pair
 * is scored (test, validation, `compare`, ten-fold): embeddings of both sides, optionally
 * averaged with those of the mirror images, then the model's head.
 */
export function pairLogits(
  params: ModelParams,
  sides: { left: tf.Tensor4D; right: tf.Tensor4D },
  options: { flip: boolean },
): tf.Tensor2D {
  return params.model.head(
    params.tensors(),
    embedFaces(params, sides.left, options.flip),
    embedFaces(params, sides.right, options.flip),
    INFERENCE_CONTEXT,
  );
}

/** The embeddings of `images`, averaged with those of their mirror images when `flip`. */
export function embedFaces(
  params: ModelParams,
  images: tf.Tensor4D,
  flip: boolean,
): tf.Tensor2D {
  const p = params.tensors();
  const plain = params.model.embed(p, images, INFERENCE_CONTEXT);
  if (!flip) return plain;
  const mirrored = params.model.embed(p, tf.reverse(images, 2), INFERENCE_CONTEXT);
  return tf.div(tf.add(plain, mirrored), 2);
}

/**
 * Same-person logits [count, 1] of pairs `start .. start + count` by the model's head, from the
 * `embeddings` of the pairs' distinct images (image -> its row: `row`): each image embedded once
 * (`test`'s one-thread scoring and a fitted descriptor's through its workers both end here).
 */
export function embeddedPairLogits(
  params: ModelParams,
  embeddings: tf.Tensor2D,
  row: ReadonlyMap<number, number>,
  pairs: { a: ArrayLike<number>; b: ArrayLike<number> },
  start: number,
  count: number,
): tf.Tensor2D {
  const left = Int32Array.from({ length: count }, (_, k) => row.get(pairs.a[start + k])!);
  const right = Int32Array.from({ length: count }, (_, k) => row.get(pairs.b[start + k])!);
  return tf.tidy(() =>
    params.model.head(
      params.tensors(),
      tf.gather(embeddings, left),
      tf.gather(embeddings, right),
      INFERENCE_CONTEXT,
    )
  );
}

/**
 * The batches of one augmented pass over `input` (test-time augmentation round `round`): each
 * pair's two images get their own transform, so both sides are embedded per pair. Each batch
 * yields its logits tensor, and the caller hands back their values (read synchronously or
 * not), which are added as probabilities to `out`.
 */
function* predictAugmented(
  params: ModelParams,
  input: BatchSourceInput,
  at: { round: number; flip: boolean },
  out: Float32Array,
): Generator<tf.Tensor, void, ArrayLike<number>> {
  const { round, flip } = at;
  const size = input.size;
  for (let i = 0; i < batchCount(input.pairs.a.length, input.batchSize); i++) {
    const batch = makeBatch(input, { epoch: round, index: i, stream: STREAMS.tta });
    const logits = tf.tidy(() => {
      const left = tf.tensor4d(batch.left, [batch.count, size, size, 1]);
      const right = tf.tensor4d(batch.right, [batch.count, size, size, 1]);
      return pairLogits(params, { left, right }, { flip });
    });
    yield* addProbabilities(logits, i * input.batchSize, batch.count, out);
  }
}

/** Yields `logits` for reading, then adds their probabilities to `out` from `at`; frees them. */
function* addProbabilities(
  logits: tf.Tensor,
  at: number,
  count: number,
  out: Float32Array,
): Generator<tf.Tensor, void, ArrayLike<number>> {
  let z: ArrayLike<number>;
  try {
    z = yield logits;
  } finally {
    logits.dispose();
  }
  for (let k = 0; k < count; k++) out[at + k] += 1 / (1 + Math.exp(-z[k]));
}

/**
 * The batches of one plain pass over `input`. Without augmentation a face's embedding does
 * not depend on its pair, and the same images recur across pairs (View 1's 1,000 validation
 * pairs show 738 images), so each distinct image is embedded once, and the head then scores
 * the pairs from those embeddings: the same scores as embedding both sides of every pair.
 */
function* predictPlain(
  params: ModelParams,
  input: BatchSourceInput,
  flip: boolean,
  out: Float32Array,
  progress?: ProgressSink,
): Generator<tf.Tensor, void, ArrayLike<number>> {
  const { size, pairs, batchSize } = input;
  const images = [...new Set([...pairs.a, ...pairs.b])];
  if (images.length === 0) return;
  const row = new Map(images.map((image, r) => [image, r]));
  const parts: tf.Tensor2D[] = [];
  let embeddings: tf.Tensor2D | null = null;
  try {
    for (let start = 0; start < images.length; start += batchSize) {
      const count = Math.min(batchSize, images.length - start);
      const faces = faceInputs(input.faces, size, images, start, count);
      parts.push(
        tf.tidy(() => embedFaces(params, tf.tensor4d(faces, [count, size, size, 1]), flip)),
      );
      progress?.advance(count);
    }
    embeddings = parts.length === 1 ? parts[0] : tf.concat(parts);
    const total = pairs.a.length;
    for (let start = 0; start < total; start += batchSize) {
      const count = Math.min(batchSize, total - start);
      const logits = embeddedPairLogits(params, embeddings, row, pairs, start, count);
      yield* addProbabilities(logits, start, count, out);
    }
  } finally {
    for (const part of parts) part.dispose();
    embeddings?.dispose();
  }
}

/**
 * Faces `indices[start .. start + count)` of `pixels` (N x size x size bytes) as model inputs
 * (pixel / 255, as the training batches), count x size x size values.
 */
export function faceInputs(
  pixels: Uint8Array,
  size: number,
  indices: ArrayLike<number>,
  start: number,
  count: number,
): Float32Array {
  const area = size * size;
  const input = new Float32Array(count * area);
  for (let k = 0; k < count; k++) {
    const from = indices[start + k] * area;
    for (let i = 0; i < area; i++) input[k * area + i] = pixels[from + i] / 255;
  }
  return input;
}

/** Every pass of a prediction: one per test-time augmentation round, or one plain pass. */
function* predictionPasses(
  params: ModelParams,
  input: BatchSourceInput,
  options: PredictOptions,
  probabilities: Float32Array,
): Generator<tf.Tensor, void, ArrayLike<number>> {
  const total = input.pairs.a.length;
  const tta = options.tta ?? 0;
  if (tta > 0) {
    const augmented = { ...input, augment: input.augment ?? AUGMENT_DEFAULTS };
    for (let r = 0; r < tta; r++) {
      yield* predictAugmented(
        params,
        augmented,
        { round: r, flip: options.flip ?? false },
        probabilities,
      );
    }
    for (let i = 0; i < total; i++) probabilities[i] /= tta;
  } else {
    if (input.augment) {
      throw new Error("predictPairs: without test-time augmentation, pairs are not augmented");
    }
    yield* predictPlain(params, input, options.flip ?? false, probabilities, options.progress);
  }
}

/** The loss and accuracy of finished probabilities. */
function summarise(input: BatchSourceInput, probabilities: Float32Array): PairPredictions {
  return pairPredictions(probabilities, input.pairs.same);
}

/** Probabilities of pairs labelled `same` (1: same person) with their mean loss and accuracy. */
export function pairPredictions(
  probabilities: Float32Array,
  same: ArrayLike<number>,
): PairPredictions {
  const total = probabilities.length;
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < total; i++) {
    const y = same[i];
    const p = Math.min(Math.max(probabilities[i], 1e-7), 1 - 1e-7);
    lossSum -= y ? Math.log(p) : Math.log(1 - p);
    if ((probabilities[i] >= 0.5 ? 1 : 0) === y) correct++;
  }
  return {
    probabilities,
    loss: total ? lossSum / total : NaN,
    accuracy: total ? correct / total : NaN,
  };
}

/**
 * Runs the model over every pair of `input`, reading each batch synchronously (wasm, cpu and
 * tensorflow backends; on WebGPU, which Deno reads only asynchronously, use
 * {@linkcode predictPairsAsync}).
 */
export function predictPairs(
  params: ModelParams,
  input: BatchSourceInput,
  options: PredictOptions = {},
): PairPredictions {
  if (tf.getBackend() === "webgpu") {
    throw new Error("predictPairs reads synchronously, which WebGPU cannot: use predictPairsAsync");
  }
  const probabilities = new Float32Array(input.pairs.a.length);
  const passes = predictionPasses(params, input, options, probabilities);
  try {
    for (let next = passes.next(); !next.done; next = passes.next(next.value.dataSync()));
  } finally {
    passes.return(); // frees the batch in flight if a read failed
  }
  return summarise(input, probabilities);
}

/** {@linkcode predictPairs} reading each batch asynchronously: every backend, the same values. */
export async function predictPairsAsync(
  params: ModelParams,
  input: BatchSourceInput,
  options: PredictOptions = {},
): Promise<PairPredictions> {
  const probabilities = new Float32Array(input.pairs.a.length);
  const passes = predictionPasses(params, input, options, probabilities);
  try {
    for (let next = passes.next(); !next.done; next = passes.next(await next.value.data()));
  } finally {
    passes.return(); // frees the batch in flight if a read failed
  }
  return summarise(input, probabilities);
}
