/**
 * The model named `seed_cosface`: the seed's branch (its six convolutions on 32x32 faces, then
 * a dense layer with batch norm, here 256 wide and without the tanh, so that the direction of
 * the embedding carries identity) trained on identity labels with the CosFace objective.
 * Verification is the cosine similarity of the two embeddings, scaled into a logit.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  BN_MOMENTUM,
  type ConvLayer,
  INPUT,
  SEED_CONVS,
  seedBranch,
  seedBranchLayers,
  seedBranchParams,
} from "./seed_model.ts";
import type { LayersPart, SiameseModel } from "./siamese_model.ts";
import { ScaledCosine } from "./custom_layers.ts";

const EMBEDDING = 256;
/**
 * Verification logit = this x cosine similarity. Any positive factor ranks pairs the same; 10
 * keeps sigmoid(logit) away from 0 and 1 over the cosines faces give, so predictions stay
 * distinguishable at 6 decimals. The decision threshold is chosen on validation.
 */
export const COSINE_LOGIT_SCALE = 10;

/** Cosine similarity of matching rows, scaled: [batch, 1]. */
export function scaledCosine(left: tf.Tensor2D, right: tf.Tensor2D, scale: number): tf.Tensor2D {
  const norm = (x: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12));
  return tf.mul(
    tf.div(tf.sum(tf.mul(left, right), 1, true), tf.mul(norm(left), norm(right))),
    scale,
  ) as tf.Tensor2D;
}

/** The cosine verification head from tfjs layers (its layer's name starts with `prefix`). */
export function scaledCosineLayers(
  left: tf.SymbolicTensor,
  right: tf.SymbolicTensor,
  prefix = "",
): LayersPart {
  return {
    output: new ScaledCosine({ scale: COSINE_LOGIT_SCALE, name: `${prefix}scaled_cosine` }).apply([
      left,
      right,
    ]) as tf.SymbolicTensor,
    weighted: [],
  };
}

/** The `seed_cosface` model. */
export const SEED_COSFACE_MODEL: SiameseModel = {
  name: "seed_cosface",
  description:
    "the seed branch (6 conv, dense 256 + batch norm) trained on identities with CosFace (s 30, m 0.35); cosine verification",
  inputSize: INPUT,
  batchSize: 128,
  embeddingSize: EMBEDDING,
  movingAverageMomentum: BN_MOMENTUM,
  objective: { kind: "cosface", scale: 30, margin: 0.35 },
  params: seedBranchParams(EMBEDDING),
  embed: seedBranch,
  head: (_p, l, r) => scaledCosine(l, r, COSINE_LOGIT_SCALE),
  layers: {
    branch: (face, prefix) => seedBranchLayers(face, { embedding: EMBEDDING, tanh: false }, prefix),
    head: scaledCosineLayers,
  },
};

/**
 * The seed branch on the full 64x64 faces: its first convolution (32@3x3 on 32x32 faces
 * averaged down) becomes 32@5x5 with stride 2 on the 64x64 faces, so the network learns its own
 * downsampling from four times the pixels; the rest is the seed's (feature maps one or two
 * pixels larger, about 25% more arithmetic).
 */
export const SEED64_CONVS: readonly ConvLayer[] = [
  { name: "conv1", filters: 32, kernel: 5, stride: 2, pad: "same" },
  ...SEED_CONVS.slice(1),
];

/** The `seed64_cosface` model: {@linkcode SEED64_CONVS}, otherwise as `seed_cosface`. */
export const SEED64_COSFACE_MODEL: SiameseModel = {
  ...SEED_COSFACE_MODEL,
  name: "seed64_cosface",
  description:
    "the seed branch reading 64x64 faces (first conv 32@5x5 stride 2), dense 256 + batch norm; CosFace (s 30, m 0.35) on identities; cosine verification",
  inputSize: 64,
  params: seedBranchParams(EMBEDDING, SEED64_CONVS, 64),
  embed: (p, x, ctx) => seedBranch(p, x, ctx, SEED64_CONVS),
  layers: {
    branch: (face, prefix) =>
      seedBranchLayers(face, { embedding: EMBEDDING, tanh: false, convs: SEED64_CONVS }, prefix),
    head: scaledCosineLayers,
  },
};
