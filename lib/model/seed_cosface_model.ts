/**
 * The model named `seed_cosface`: the seed's branch (its six convolutions on 32x32 faces, then
 * a dense layer with batch norm, here 256 wide and without the tanh, so that the direction of
 * the embedding carries identity) trained on identity labels with the CosFace objective.
 * Verification is the cosine similarity of the two embeddings, scaled into a logit.
 * @module
 */
import {
  BN_MOMENTUM,
  type ConvLayer,
  INPUT,
  SEED_CONVS,
  seedBranch,
  seedBranchLayers,
  seedBranchParams,
} from "./seed_model.ts";
import type { SiameseModel } from "./siamese_model.ts";
import { COSINE_LOGIT_SCALE, scaledCosine, scaledCosineLayers } from "./scaled_cosine.ts";

const EMBEDDING = 256;

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
  code: [new URL(import.meta.url)],
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
