/**
 * Pair scores of a fitted descriptor model with its descriptors computed by the describing
 * workers, one per core (`lib/train/describe_faces.ts`), instead of in this thread: the
 * descriptor (Fisher vectors take 10-30 ms a face on one core) is nearly all of the work, and its
 * projection and head are cheap. The scores are those of the one-thread scoring
 * (`predict_pairs.ts`): each distinct image is described once, and with mirror averaging its
 * mirror image too, the two projections averaged, then the model's head scores the pairs. The
 * faces and mirror images are described in one call (the workers start once), and each batch of
 * descriptors is projected as it arrives, so that they are never all held. Only
 * the code run for fitted descriptor models calls it (the descriptor fit, and `test` for such a
 * model: the stage table declares it for them), so that a network's key does not hold it.
 *
 * @example
 * ```ts
 * const scores = await scorePairsByDescriptors(weights, { faces, size, pairs }, true, { workers: 2 });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelParams } from "../model/model_params.ts";
import {
  type DescribedBatch,
  describeEachBatch,
  type DescriptorParams,
  mirroredFaces,
  pickFaces,
} from "../train/describe_faces.ts";
import type { PairColumns } from "../train/pair_batches.ts";
import type { ProgressSink } from "../util/progress.ts";
import { embeddedPairLogits, type PairPredictions, pairPredictions } from "./predict_pairs.ts";

/** Whether `weights` can be scored by {@linkcode scorePairsByDescriptors} (a fitted descriptor model). */
export function scoredByDescriptors(weights: ModelParams): boolean {
  return weights.model.objective.kind === "lda" && weights.model.fitted !== undefined;
}

/**
 * Same-person probabilities of `input.pairs` by the fitted descriptor model `weights`, its
 * descriptors computed by `options.workers` workers; `flip` averages each face's projection with
 * its mirror image's. `options.progress` advances by the images described.
 */
export async function scorePairsByDescriptors(
  weights: ModelParams,
  input: { faces: Uint8Array; size: number; pairs: PairColumns },
  flip: boolean,
  options: { workers: number; progress?: ProgressSink },
): Promise<PairPredictions> {
  const model = weights.model, fitted = model.fitted!;
  const { faces, size, pairs } = input;
  const p = weights.tensors();
  const encoder: DescriptorParams = new Map();
  for (const name of fitted.encoder?.params ?? []) {
    const shape = model.params.find((q) => q.name === name)!.shape;
    encoder.set(name, { values: await p[name].data() as Float32Array, shape });
  }
  const images = [...new Set([...pairs.a, ...pairs.b])];
  const row = new Map(images.map((image, r) => [image, r]));
  // Every distinct face, then (with flip) their mirror images: one call, two workers' starts.
  const n = images.length, area = size * size;
  const sides = flip ? 2 : 1;
  const described = new Uint8Array(sides * n * area);
  described.set(pickFaces(faces, size, images, 0, n));
  if (flip) described.set(mirroredFaces(faces, size, images), n * area);
  // Progress in whole images: an image counts once its mirror image is described too.
  let done = 0, reported = 0;
  const progress = {
    advance: (count = 1) => {
      done += count;
      const whole = Math.floor(done / sides);
      if (whole > reported) options.progress?.advance(whole - reported), reported = whole;
    },
    finish: () => {},
  };
  // Each batch is projected as it comes (the descriptors are never all held), into the faces'
  // and the mirror images' embeddings, averaged at the end.
  const embedding = model.embeddingSize;
  const projected = new Float32Array(sides * n * embedding);
  const project = (batch: DescribedBatch) => {
    const count = batch.rows.length / batch.features;
    const values = tf.tidy(() =>
      tf.add(
        tf.matMul(tf.tensor2d(batch.rows, [count, batch.features]), p[fitted.projection]),
        p[fitted.offset],
      ).dataSync()
    );
    projected.set(values, batch.first * embedding);
  };
  await describeEachBatch(
    model,
    described,
    size,
    Int32Array.from({ length: sides * n }, (_, i) => i),
    encoder,
    project,
    { workers: options.workers, progress: () => progress },
  );
  const embeddings = tf.tidy(() => {
    const plain = tf.tensor2d(projected.subarray(0, n * embedding), [n, embedding]);
    if (!flip) return plain;
    const mirrored = tf.tensor2d(projected.subarray(n * embedding), [n, embedding]);
    return tf.div(tf.add(plain, mirrored), 2) as tf.Tensor2D;
  });
  try {
    const logits = embeddedPairLogits(weights, embeddings, row, pairs, 0, pairs.a.length);
    const z = await logits.data();
    logits.dispose();
    return pairPredictions(Float32Array.from(z, (x) => 1 / (1 + Math.exp(-x))), pairs.same);
  } finally {
    embeddings.dispose();
  }
}
