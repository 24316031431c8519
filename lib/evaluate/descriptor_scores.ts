/**
 * Pair scores of a fitted descriptor model with its descriptors computed by the describing
 * workers, one per core (`lib/train/describe_faces.ts`), instead of in this thread: the
 * descriptor (Fisher vectors take 10-30 ms a face on one core) is nearly all of the work, and its
 * projection and head are cheap. The scores are those of the one-thread scoring
 * (`predict_pairs.ts`): each distinct image is described once, and with mirror averaging its
 * mirror image too, the two projections averaged, then the model's head scores the pairs. The
 * faces and mirror images are described in one call (the workers start once), and each batch of
 * descriptors is projected as it arrives, so that they are never all held. An ensemble of fitted
 * descriptor models is scored the same way, member by member, its embedding made from theirs as
 * its `embed` makes it. Only the code run for these models calls it (their fit, and `test` for
 * them: the stage table declares it for them), so that a network's key does not hold it.
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
import type { ProgressFactory, ProgressSink } from "../util/progress.ts";
import { ENSEMBLE_SEPARATOR, ENSEMBLE_WEIGHTS, memberParamName } from "../model/ensemble_model.ts";
import { getModel } from "../model/registry.ts";
import type { SiameseModel } from "../model/siamese_model.ts";
import { unitVectors } from "../model/unit_vectors.ts";
import { embeddedPairLogits, type PairPredictions, pairPredictions } from "./predict_pairs.ts";

/**
 * The fitted descriptor models whose descriptors score `model`'s pairs: itself, or an ensemble's
 * members when every one of them is such a model; undefined for any other model.
 */
function describedModels(model: SiameseModel): SiameseModel[] | undefined {
  const fitted = (m: SiameseModel) => m.objective.kind === "lda" && m.fitted !== undefined;
  if (model.objective.kind === "ensemble") {
    const members = model.name.split(ENSEMBLE_SEPARATOR).map(getModel);
    return members.every(fitted) ? members : undefined;
  }
  return fitted(model) ? [model] : undefined;
}

/**
 * Whether `weights` can be scored by {@linkcode scorePairsByDescriptors}: a fitted descriptor
 * model, or an ensemble of them.
 */
export function scoredByDescriptors(weights: ModelParams): boolean {
  return describedModels(weights.model) !== undefined;
}

/**
 * Same-person probabilities of `input.pairs` by the fitted descriptor model `weights` (or an
 * ensemble of them), its descriptors computed by `options.workers` workers; `flip` averages each
 * face's embedding with its mirror image's. `options.progress` advances by the images described.
 */
export async function scorePairsByDescriptors(
  weights: ModelParams,
  input: { faces: Uint8Array; size: number; pairs: PairColumns },
  flip: boolean,
  options: { workers: number; progress?: ProgressSink },
): Promise<PairPredictions> {
  const members = describedModels(weights.model);
  if (!members) throw new Error(`${weights.model.name} is not scored by its descriptors`);
  const ensemble = weights.model.objective.kind === "ensemble";
  const { faces, size, pairs } = input;
  const p = weights.tensors();
  const images = [...new Set([...pairs.a, ...pairs.b])];
  const row = new Map(images.map((image, r) => [image, r]));
  // Every distinct face, then (with flip) their mirror images: one call a member.
  const n = images.length, area = size * size;
  const sides = flip ? 2 : 1;
  const described = new Uint8Array(sides * n * area);
  described.set(pickFaces(faces, size, images, 0, n));
  if (flip) described.set(mirroredFaces(faces, size, images), n * area);
  // Progress in whole images: an image counts once every member has described it and its mirror.
  const per = sides * members.length;
  let done = 0, reported = 0;
  const progress = {
    advance: (count = 1) => {
      done += count;
      const whole = Math.floor(done / per);
      if (whole > reported) options.progress?.advance(whole - reported), reported = whole;
    },
    finish: () => {},
  };
  const projected: Float32Array[] = [];
  for (const [i, member] of members.entries()) {
    // Member i's own view of the parameters.
    const own = (name: string) => p[ensemble ? memberParamName(i, name) : name];
    projected.push(
      await projectedFaces(member, own, described, size, sides * n, {
        workers: options.workers,
        progress: () => progress,
      }),
    );
  }
  const embeddings = embeddingsOf(weights, members, projected, n, flip);
  try {
    const logits = embeddedPairLogits(weights, embeddings, row, pairs, 0, pairs.a.length);
    const z = await logits.data();
    logits.dispose();
    return pairPredictions(Float32Array.from(z, (x) => 1 / (1 + Math.exp(-x))), pairs.same);
  } finally {
    embeddings.dispose();
  }
}

/**
 * The model's embeddings [n, embedding] of n faces from its members' projections `projected[i]`
 * (the faces, then with `flip` their mirror images, the two averaged), as its `embed` makes them:
 * a fitted model's own, an ensemble's members' at unit length, weighted and concatenated.
 */
function embeddingsOf(
  weights: ModelParams,
  members: readonly SiameseModel[],
  projected: readonly Float32Array[],
  n: number,
  flip: boolean,
): tf.Tensor2D {
  const p = weights.tensors();
  // Half 0: the faces; half 1: their mirror images.
  const half = (h: number) =>
    members.map((m, i) =>
      tf.tensor2d(
        projected[i].subarray(h * n * m.embeddingSize, (h + 1) * n * m.embeddingSize),
        [n, m.embeddingSize],
      )
    );
  const embedded = (parts: tf.Tensor2D[]) =>
    weights.model.objective.kind === "ensemble"
      ? tf.concat(
        parts.map((x, i) => tf.mul(unitVectors(x, 1), tf.slice(p[ENSEMBLE_WEIGHTS], [i], [1]))),
        1,
      ) as tf.Tensor2D
      : parts[0];
  return tf.tidy(() =>
    flip
      ? tf.div(tf.add(embedded(half(0)), embedded(half(1))), 2) as tf.Tensor2D
      : embedded(half(0))
  );
}

/**
 * The projections [count, embedding] of faces 0 to count - 1 of `faces` by the fitted descriptor
 * model `model` (`param(name)`: its parameters), described by workers, each batch projected as it
 * arrives (the descriptors are never all held).
 */
async function projectedFaces(
  model: SiameseModel,
  param: (name: string) => tf.Tensor,
  faces: Uint8Array,
  size: number,
  count: number,
  options: { workers: number; progress: ProgressFactory },
): Promise<Float32Array> {
  const fitted = model.fitted!;
  const encoder: DescriptorParams = new Map();
  for (const name of fitted.encoder?.params ?? []) {
    const shape = model.params.find((q) => q.name === name)!.shape;
    encoder.set(name, { values: await param(name).data() as Float32Array, shape });
  }
  const embedding = model.embeddingSize;
  const projected = new Float32Array(count * embedding);
  const project = (batch: DescribedBatch) => {
    const rows = batch.rows.length / batch.features;
    const values = tf.tidy(() =>
      tf.add(
        tf.matMul(tf.tensor2d(batch.rows, [rows, batch.features]), param(fitted.projection)),
        param(fitted.offset),
      ).dataSync()
    );
    projected.set(values, batch.first * embedding);
  };
  const all = Int32Array.from({ length: count }, (_, i) => i);
  await describeEachBatch(model, faces, size, all, encoder, project, options);
  return projected;
}
