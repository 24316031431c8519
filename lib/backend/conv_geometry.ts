/**
 * The geometry of a 2-D convolution (NHWC, no dilation) in the form this project's kernels use.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Sizes, strides and leading padding of one convolution. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

/** The geometry for an input shape, a filter shape [kh, kw, Cin, Cout] and tfjs conv attrs. */
export function convGeometry(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): ConvGeometry {
  const dilations = (attrs.dilations ?? 1) as number | [number, number];
  if (dilations !== 1 && !(Array.isArray(dilations) && dilations[0] === 1 && dilations[1] === 1)) {
    throw new Error("convolution kernels: dilated convolutions are not supported");
  }
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error("convolution kernels: only NHWC is supported");
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "round" | undefined,
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
