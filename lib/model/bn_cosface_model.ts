/**
 * Batch-norm CNNs trained on identities with CosFace: blocks of 3x3 convolution + batch norm +
 * leaky ReLU, each stage ending in a stride-2 convolution (instead of pooling), then dropout,
 * a dense embedding and batch norm. `bn_cosface` reads 32x32 faces (as the seed), `bn64_cosface`
 * the full 64x64 LFWcrop faces with one more stage. Verification is the scaled cosine of the
 * two embeddings, as for `seed_cosface`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  ALPHA,
  batchNorm,
  batchNormLayer,
  BN_MOMENTUM,
  dense,
  denseBatchNormLayers,
  layerParams,
} from "./seed_model.ts";
import { COSINE_LOGIT_SCALE, scaledCosine, scaledCosineLayers } from "./scaled_cosine.ts";
import type { LayersPart, ParamSpec, SiameseModel } from "./siamese_model.ts";

/** One stage: `filters` wide, two 3x3 convolutions, the second with stride 2. */
interface Stage {
  filters: number;
}

const EMBEDDING = 256;

/** The convolutions of a stack of stages, in order. */
function convolutions(stages: readonly Stage[]) {
  return stages.flatMap((s, i) => [
    { name: `s${i + 1}a`, filters: s.filters, stride: 1 },
    { name: `s${i + 1}b`, filters: s.filters, stride: 2 },
  ]);
}

/** A batch-norm CosFace model reading `inputSize` faces through `stages`. */
export function bnCosfaceModel(options: {
  name: string;
  inputSize: number;
  stages: readonly Stage[];
}): SiameseModel {
  const convs = convolutions(options.stages);
  const params: ParamSpec[] = [];
  const layers = layerParams(params);
  let channels = 1;
  for (const c of convs) {
    // No bias: the batch norm's beta takes its place.
    params.push({
      name: `${c.name}/kernel`,
      shape: [3, 3, channels, c.filters],
      init: "orthogonal",
      trainable: true,
      part: "branch",
    });
    layers.batchNorm("branch", `${c.name}_bn`, c.filters);
    channels = c.filters;
  }
  const side = options.inputSize / 2 ** options.stages.length;
  layers.dense("branch", "embed", side * side * channels, EMBEDDING);
  layers.batchNorm("branch", "embed_bn", EMBEDDING);
  return {
    name: options.name,
    description: `batch-norm CNN (${
      options.stages.map((s) => s.filters).join("-")
    }, 2 conv per stage) on ${options.inputSize}x${options.inputSize} faces, dense ${EMBEDDING}; CosFace (s 30, m 0.35) on identities; cosine verification`,
    inputSize: options.inputSize,
    batchSize: 128,
    embeddingSize: EMBEDDING,
    movingAverageMomentum: BN_MOMENTUM,
    objective: { kind: "cosface", scale: 30, margin: 0.35 },
    code: [new URL(import.meta.url)],
    params,
    embed(p, x, ctx) {
      let h: tf.Tensor4D = x;
      for (const c of convs) {
        h = tf.conv2d(h, p[`${c.name}/kernel`] as tf.Tensor4D, c.stride, "same");
        h = tf.leakyRelu(batchNorm(h, p, `${c.name}_bn`, ctx), ALPHA);
      }
      h = ctx.dropout(h, 0.25) as tf.Tensor4D;
      const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
      return batchNorm(dense(flat, p, "embed"), p, "embed_bn", ctx);
    },
    head: (_p, l, r) => scaledCosine(l, r, COSINE_LOGIT_SCALE),
    layers: {
      branch(face, prefix = "") {
        let h = face;
        const weighted: LayersPart["weighted"] = [];
        for (const c of convs) {
          const conv = tf.layers.conv2d({
            name: prefix + c.name,
            filters: c.filters,
            kernelSize: 3,
            strides: c.stride,
            padding: "same",
            useBias: false,
          });
          const bn = batchNormLayer(`${c.name}_bn`, prefix);
          weighted.push([conv, [`${c.name}/kernel`]], bn);
          h = tf.layers.leakyReLU({ alpha: ALPHA, name: `${prefix}${c.name}_leaky` }).apply(
            bn[0].apply(conv.apply(h)),
          ) as tf.SymbolicTensor;
        }
        h = tf.layers.dropout({ rate: 0.25, name: `${prefix}branch_dropout` }).apply(
          h,
        ) as tf.SymbolicTensor;
        h = tf.layers.flatten({ name: `${prefix}flatten` }).apply(h) as tf.SymbolicTensor;
        const embed = denseBatchNormLayers(h, "embed", EMBEDDING, prefix);
        return { output: embed.output, weighted: [...weighted, ...embed.weighted] };
      },
      head: scaledCosineLayers,
    },
  };
}

/** 32x32 faces, three stages of 32, 64 and 128 filters. */
export const BN_COSFACE_MODEL = bnCosfaceModel({
  name: "bn_cosface",
  inputSize: 32,
  stages: [{ filters: 32 }, { filters: 64 }, { filters: 128 }],
});

/** 64x64 faces, four stages of 16, 32, 64 and 128 filters. */
export const BN64_COSFACE_MODEL = bnCosfaceModel({
  name: "bn64_cosface",
  inputSize: 64,
  stages: [{ filters: 16 }, { filters: 32 }, { filters: 64 }, { filters: 128 }],
});
