/**
 * The original face-comparer architecture, as the model named `seed`.
 *
 * One branch: convolutions 32@3x3, 32@3x3, 64@5x5/2 same, 64@3x3, 128@5x5/2 same, 128@3x3
 * (valid unless noted), each followed by LeakyReLU(0.33); dropout 0.25; flatten; dense 512 +
 * batch norm + tanh. The branch (shared weights) embeds both faces; merge = |left - right|;
 * Gaussian noise (sigma 0.5); dropout 0.2; dense 256 + batch norm + LeakyReLU(0.33); dropout
 * 0.5; dense 1 (+ sigmoid in the loss). Orthogonal initialisation.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { convLeakyRelu } from "./conv_leaky_relu.ts";
import type { ForwardContext, LayersPart, ParamSpec, SiameseModel } from "./siamese_model.ts";
import { AbsDifference } from "./basic_layers.ts";

/** Leaky ReLU slope. */
export const ALPHA = 0.33;
const BN_EPSILON = 1e-3;
/** Keras' default moving-average momentum. */
export const BN_MOMENTUM = 0.99;

/** One convolution of the branch. */
export interface ConvLayer {
  name: string;
  filters: number;
  kernel: number;
  stride: number;
  pad: "valid" | "same";
}

/** The branch's convolutions, in order (shared with the layers-format export). */
export const SEED_CONVS: readonly ConvLayer[] = [
  { name: "conv1", filters: 32, kernel: 3, stride: 1, pad: "valid" },
  { name: "conv2", filters: 32, kernel: 3, stride: 1, pad: "valid" },
  { name: "conv3", filters: 64, kernel: 5, stride: 2, pad: "same" },
  { name: "conv4", filters: 64, kernel: 3, stride: 1, pad: "valid" },
  { name: "conv5", filters: 128, kernel: 5, stride: 2, pad: "same" },
  { name: "conv6", filters: 128, kernel: 3, stride: 1, pad: "valid" },
];
/** Input side of the seed branch (64x64 faces averaged down, as the original). */
export const INPUT = 32;
const EMBEDDING = 512;
const HIDDEN = 256;

function convOutput(size: number, layer: ConvLayer): number {
  return layer.pad === "same"
    ? Math.ceil(size / layer.stride)
    : Math.floor((size - layer.kernel) / layer.stride) + 1;
}

/** Adds a parameter to `params`. */
function adder(params: ParamSpec[]) {
  return (
    part: ParamSpec["part"],
    name: string,
    shape: number[],
    init: ParamSpec["init"],
    trainable = true,
  ) => params.push({ name, shape, init, trainable, part });
}

/** Dense and batch-norm parameter groups. */
export function layerParams(params: ParamSpec[]) {
  const add = adder(params);
  return {
    dense(part: ParamSpec["part"], name: string, inputs: number, units: number) {
      add(part, `${name}/kernel`, [inputs, units], "orthogonal");
      add(part, `${name}/bias`, [units], "zeros");
    },
    batchNorm(part: ParamSpec["part"], name: string, units: number) {
      add(part, `${name}/gamma`, [units], "ones");
      add(part, `${name}/beta`, [units], "zeros");
      add(part, `${name}/moving_mean`, [units], "zeros", false);
      add(part, `${name}/moving_variance`, [units], "ones", false);
    },
  };
}

/**
 * The parameters of the seed branch (its six convolutions, then dense `embedding` + batch
 * norm), shared by every model built on that branch; `convs` and `input` give a variant of it.
 */
export function seedBranchParams(
  embedding: number,
  convs: readonly ConvLayer[] = SEED_CONVS,
  input = INPUT,
): ParamSpec[] {
  const params: ParamSpec[] = [];
  const add = adder(params);
  let channels = 1;
  let size = input;
  for (const c of convs) {
    add("branch", `${c.name}/kernel`, [c.kernel, c.kernel, channels, c.filters], "orthogonal");
    add("branch", `${c.name}/bias`, [c.filters], "zeros");
    channels = c.filters;
    size = convOutput(size, c);
  }
  const layers = layerParams(params);
  layers.dense("branch", "embed", size * size * channels, embedding);
  layers.batchNorm("branch", "embed_bn", embedding);
  return params;
}

function buildParams(): ParamSpec[] {
  const params = seedBranchParams(EMBEDDING);
  const layers = layerParams(params);
  layers.dense("head", "hidden", EMBEDDING, HIDDEN);
  layers.batchNorm("head", "hidden_bn", HIDDEN);
  layers.dense("head", "output", HIDDEN, 1);
  return params;
}

/**
 * Batch normalisation over every axis but the last (the batch, and the pixels of a feature map).
 * In training it normalises with the batch's own statistics and records them for the moving
 * averages; otherwise it uses the moving statistics.
 */
export function batchNorm<T extends tf.Tensor>(
  x: T,
  p: Record<string, tf.Tensor>,
  name: string,
  ctx: ForwardContext,
): T {
  const gamma = p[`${name}/gamma`], beta = p[`${name}/beta`];
  if (!ctx.training) {
    return tf.batchNorm(
      x,
      p[`${name}/moving_mean`],
      p[`${name}/moving_variance`],
      beta,
      gamma,
      BN_EPSILON,
    ) as T;
  }
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  ctx.updateState(`${name}/moving_mean`, mean);
  ctx.updateState(`${name}/moving_variance`, variance);
  return tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON) as T;
}

/** x W + b with the parameters `name/kernel` and `name/bias`. */
export function dense(x: tf.Tensor2D, p: Record<string, tf.Tensor>, name: string): tf.Tensor2D {
  return tf.add(tf.matMul(x, p[`${name}/kernel`] as tf.Tensor2D), p[`${name}/bias`]);
}

/**
 * The seed branch up to its batch-normalised dense layer (before any output non-linearity):
 * six convolutions with leaky ReLU, dropout 0.25, flatten, dense, batch norm.
 */
export function seedBranch(
  p: Record<string, tf.Tensor>,
  x: tf.Tensor4D,
  ctx: ForwardContext,
  convs: readonly ConvLayer[] = SEED_CONVS,
): tf.Tensor2D {
  let h: tf.Tensor4D = x;
  convs.forEach((c, i) => {
    h = convLeakyRelu(h, {
      filter: p[`${c.name}/kernel`] as tf.Tensor4D,
      bias: p[`${c.name}/bias`],
    }, {
      strides: c.stride,
      pad: c.pad,
      alpha: ALPHA,
      inputGradient: i > 0,
    });
  });
  h = ctx.dropout(h, 0.25) as tf.Tensor4D;
  const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
  return batchNorm(dense(flat, p, "embed"), p, "embed_bn", ctx);
}

/** A tfjs batch-norm layer for the parameters `name/gamma|beta|moving_mean|moving_variance`. */
export function batchNormLayer(name: string, prefix = ""): [tf.layers.Layer, string[]] {
  const layer = tf.layers.batchNormalization({
    name: prefix + name,
    epsilon: BN_EPSILON,
    momentum: BN_MOMENTUM,
  });
  return [layer, ["gamma", "beta", "moving_mean", "moving_variance"].map((w) => `${name}/${w}`)];
}

/** Layers of a dense layer followed by batch norm (inference), applied to `x`. */
export function denseBatchNormLayers(
  x: tf.SymbolicTensor,
  name: string,
  units: number,
  prefix = "",
): LayersPart {
  const layer = tf.layers.dense({ name: prefix + name, units });
  const bn = batchNormLayer(`${name}_bn`, prefix);
  return {
    output: bn[0].apply(layer.apply(x)) as tf.SymbolicTensor,
    weighted: [[layer, [`${name}/kernel`, `${name}/bias`]], bn],
  };
}

/**
 * {@linkcode seedBranch} from tfjs layers: `embedding` units, tanh at the end or not; layer
 * names start with `prefix`.
 */
export function seedBranchLayers(
  face: tf.SymbolicTensor,
  options: { embedding: number; tanh: boolean; convs?: readonly ConvLayer[] },
  prefix = "",
): LayersPart {
  let h = face;
  const weighted: LayersPart["weighted"] = [];
  for (const c of options.convs ?? SEED_CONVS) {
    const conv = tf.layers.conv2d({
      name: prefix + c.name,
      filters: c.filters,
      kernelSize: c.kernel,
      strides: c.stride,
      padding: c.pad,
    });
    weighted.push([conv, [`${c.name}/kernel`, `${c.name}/bias`]]);
    h = tf.layers.leakyReLU({ alpha: ALPHA, name: `${prefix}${c.name}_leaky` }).apply(
      conv.apply(h),
    ) as tf.SymbolicTensor;
  }
  h = tf.layers.dropout({ rate: 0.25, name: `${prefix}branch_dropout` }).apply(
    h,
  ) as tf.SymbolicTensor;
  h = tf.layers.flatten({ name: `${prefix}flatten` }).apply(h) as tf.SymbolicTensor;
  const embed = denseBatchNormLayers(h, "embed", options.embedding, prefix);
  weighted.push(...embed.weighted);
  const output = options.tanh
    ? tf.layers.activation({ activation: "tanh", name: `${prefix}embed_tanh` }).apply(
      embed.output,
    ) as tf.SymbolicTensor
    : embed.output;
  return { output, weighted };
}

/** The `seed` model. */
export const SEED_MODEL: SiameseModel = {
  name: "seed",
  description: "the original face-comparer siamese CNN (6 conv, dense 512, |l-r|, dense 256)",
  inputSize: INPUT,
  batchSize: 128,
  embeddingSize: EMBEDDING,
  movingAverageMomentum: BN_MOMENTUM,
  objective: { kind: "pair" },
  code: [new URL(import.meta.url)],
  params: buildParams(),
  // The shared branch runs once per side, as Keras' shared layers do, so batch-norm statistics
  // are computed (and moving averages updated) per side.
  embed: (p, x, ctx) => tf.tanh(seedBranch(p, x, ctx)),
  head(p, l, r, ctx) {
    let h: tf.Tensor = tf.abs(tf.sub(l, r));
    h = ctx.gaussianNoise(h, 0.5);
    h = ctx.dropout(h, 0.2);
    h = tf.leakyRelu(batchNorm(dense(h as tf.Tensor2D, p, "hidden"), p, "hidden_bn", ctx), ALPHA);
    h = ctx.dropout(h, 0.5);
    return dense(h as tf.Tensor2D, p, "output");
  },
  layers: {
    branch: (face, prefix) => seedBranchLayers(face, { embedding: EMBEDDING, tanh: true }, prefix),
    head(left, right, prefix = "") {
      let m = new AbsDifference({ name: `${prefix}abs_difference` }).apply([
        left,
        right,
      ]) as tf.SymbolicTensor;
      m = tf.layers.gaussianNoise({ stddev: 0.5, name: `${prefix}noise` }).apply(
        m,
      ) as tf.SymbolicTensor;
      m = tf.layers.dropout({ rate: 0.2, name: `${prefix}merge_dropout` }).apply(
        m,
      ) as tf.SymbolicTensor;
      const hidden = denseBatchNormLayers(m, "hidden", HIDDEN, prefix);
      m = tf.layers.leakyReLU({ alpha: ALPHA, name: `${prefix}hidden_leaky` }).apply(
        hidden.output,
      ) as tf.SymbolicTensor;
      m = tf.layers.dropout({ rate: 0.5, name: `${prefix}hidden_dropout` }).apply(
        m,
      ) as tf.SymbolicTensor;
      const output = tf.layers.dense({ name: `${prefix}output`, units: 1 });
      return {
        output: output.apply(m) as tf.SymbolicTensor,
        weighted: [...hidden.weighted, [output, ["output/kernel", "output/bias"]]],
      };
    },
  },
};
