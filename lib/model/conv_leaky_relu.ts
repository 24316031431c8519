/**
 * A convolution + bias + leaky ReLU layer with its own gradient. The forward pass is one fused
 * kernel (bias and activation applied in the convolution's output loop); the backward pass derives the activation's gradient from the saved output (no
 * separate activation tensor is kept) and skips the input gradient of a first layer, whose
 * input is data.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { leakyReluBiasGrad } from "../backend/wasm_leaky_relu_grad.ts";

/** Options of {@linkcode convLeakyRelu}. */
export interface ConvLeakyReluOptions {
  strides: number;
  pad: "valid" | "same";
  alpha: number;
  /** false when `x` is input data: its gradient is then returned as zeros without computing it. */
  inputGradient: boolean;
}

/** leakyRelu(conv2d(x, filter) + bias), differentiable in x, filter and bias. */
export function convLeakyRelu(
  x: tf.Tensor4D,
  weights: { filter: tf.Tensor4D; bias: tf.Tensor },
  options: ConvLeakyReluOptions,
): tf.Tensor4D {
  const { filter, bias } = weights;
  const { strides, pad, alpha } = options;
  const op = tf.customGrad((...args: unknown[]) => {
    const [input, weights, b] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    // The fused kernel directly: tf.fused.conv2d declines to fuse while gradients are
    // recorded, and this layer brings its own gradient.
    const y = tf.engine().runKernel(
      "FusedConv2D",
      { x: input, filter: weights, bias: b },
      {
        strides: [strides, strides],
        pad,
        dataFormat: "NHWC",
        dilations: [1, 1],
        dimRoundingMode: undefined,
        activation: "leakyrelu",
        leakyreluAlpha: alpha,
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
    save([input, weights, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, w, out] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const [dz, db] = leakyReluBiasGrad(dy, out, { alpha });
        const attrs = {
          strides: [strides, strides],
          pad,
          dataFormat: "NHWC",
          dimRoundingMode: undefined,
        } as unknown as tf.NamedAttrMap;
        const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x: xs, dy: dz }, {
          ...attrs,
          filterShape: w.shape,
        }) as tf.Tensor;
        const dx = options.inputGradient
          ? tf.engine().runKernel("Conv2DBackpropInput", { dy: dz, filter: w }, {
            ...attrs,
            inputShape: xs.shape,
          }) as tf.Tensor
          : tf.zerosLike(xs);
        return [dx, dw, db];
      },
    };
  });
  return op(x, filter, bias) as tf.Tensor4D;
}
