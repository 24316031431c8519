/**
 * Pair scores of a fitted descriptor model with its descriptors computed by the describing
 * workers, one per core (`lib/train/describe_faces.ts`), instead of in this thread: the
 * descriptor (Fisher vectors take 10-30 ms a face on one core) is nearly all of the work, and its
 * projection and head are cheap. The scores are those of the one-thread scoring
 * (`predict_pairs.ts`): each distinct image is described once, and with mirror averaging its
 * mirror image too, the two projections averaged, then the model's head scores the pairs. Only
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
import { describeFaces, type DescriptorParams, mirroredFaces } from "../train/describe_faces.ts";
import type { PairColumns } from "../train/pair_batches.ts";
import type { ProgressSink } from "../util/progress.ts";
import { embeddedPairLogits, type PairPredictions, pairPredictions } from "./predict_pairs.ts";

/** Images described and projected at once (bounds the descriptors held: 512 x 67,584 floats). */
const CHUNK_IMAGES = 512;

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
  // Progress in whole images: an image counts once its mirror image is described too.
  const sides = flip ? 2 : 1;
  let described = 0, reported = 0;
  const progress = {
    advance: (n: number) => {
      described += n;
      const whole = Math.floor(described / sides);
      if (whole > reported) options.progress?.advance(whole - reported), reported = whole;
    },
    finish: () => {},
  };
  const describe = { workers: options.workers, progress: () => progress };
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < images.length; start += CHUNK_IMAGES) {
      const chunk = images.slice(start, start + CHUNK_IMAGES);
      const plain = await describeFaces(model, faces, size, chunk, encoder, describe);
      const mirrored = flip
        ? await describeFaces(
          model,
          mirroredFaces(faces, size, chunk),
          size,
          chunk.map((_, i) => i),
          encoder,
          describe,
        )
        : undefined;
      parts.push(tf.tidy(() => {
        const project = (rows: Float32Array) =>
          tf.add(
            tf.matMul(tf.tensor2d(rows, [chunk.length, plain.features]), p[fitted.projection]),
            p[fitted.offset],
          );
        const embedded = project(plain.rows);
        return (mirrored
          ? tf.div(tf.add(embedded, project(mirrored.rows)), 2)
          : embedded) as tf.Tensor2D;
      }));
    }
    const embeddings = tf.concat(parts);
    parts.forEach((t) => t.dispose());
    parts.length = 0;
    parts.push(embeddings);
    const logits = embeddedPairLogits(weights, embeddings, row, pairs, 0, pairs.a.length);
    const z = await logits.data();
    logits.dispose();
    return pairPredictions(Float32Array.from(z, (x) => 1 / (1 + Math.exp(-x))), pairs.same);
  } finally {
    parts.forEach((t) => t.dispose());
  }
}
