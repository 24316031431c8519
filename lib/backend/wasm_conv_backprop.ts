/**
 * Fast convolution gradients for the tfjs `wasm` backend, registered as kernels so that every
 * model trains with them. The wasm backend has no `Conv2DBackpropFilter` at all and a slow
 * `Conv2DBackpropInput`; both gradients are re-expressed here through its fast forward
 * convolution (XNNPACK):
 *
 * - filter gradient: dW[i,j,ci,co] = sum over n,p,q of x[n, p*s+i-pt, q*s+j-pl, ci] * dy[n,p,q,co],
 *   a forward convolution of x with batch and channels swapped ([Cin,H,W,N]) by dy used as the
 *   filter ([Ho,Wo,N,Cout]), dilated by the stride;
 * - input gradient: a stride-1 convolution of dy, zero-interleaved by the stride and padded, by
 *   the filter flipped in space with input and output channels swapped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type TensorInfo = tf.TensorInfo;
type KernelFunc = (
  args: {
    inputs: Record<string, TensorInfo>;
    backend: BackendWasm;
    attrs: Record<string, unknown>;
  },
) => TensorInfo;

function kernel(name: string): KernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as KernelFunc;
}

function heap(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return kernel("Transpose")({ inputs: { x }, backend, attrs: { perm } });
}

function conv(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: { dilations: [number, number]; pad: "valid" | number[][] },
): TensorInfo {
  return kernel("Conv2D")({
    inputs: { x, filter },
    backend,
    attrs: {
      strides: [1, 1],
      pad: attrs.pad,
      dataFormat: "NHWC",
      dilations: attrs.dilations,
      dimRoundingMode: undefined,
    },
  });
}

interface ConvGeometry {
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

function geometry(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): ConvGeometry {
  const dilations = (attrs.dilations ?? 1) as number | [number, number];
  if (dilations !== 1 && !(Array.isArray(dilations) && dilations[0] === 1 && dilations[1] === 1)) {
    throw new Error("conv backprop kernels: dilated convolutions are not supported");
  }
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error("conv backprop kernels: only NHWC is supported");
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

/** Conv2DBackpropFilter through the forward convolution. */
function backpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  const filterShape = attrs.filterShape as number[];
  const g = geometry(x.shape, filterShape, attrs);
  const xT = transpose(backend, x, [3, 1, 2, 0]); // [Cin, H, W, N]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [Ho, Wo, N, Cout]
  // Output rows i = 0..kh-1 read input rows p*s + i - padTop: pad the top by padTop and the
  // bottom so that the last needed row exists; extra output rows (if any) are cut below.
  const spanH = (g.outH - 1) * g.sh + 1;
  const spanW = (g.outW - 1) * g.sw + 1;
  const padBottom = Math.max(0, g.kh - 1 + spanH - g.padTop - g.inH);
  const padRight = Math.max(0, g.kw - 1 + spanW - g.padLeft - g.inW);
  const full = conv(backend, xT, dyT, {
    dilations: [g.sh, g.sw],
    pad: [[0, 0], [g.padTop, padBottom], [g.padLeft, padRight], [0, 0]],
  }); // [Cin, kh', kw', Cout], kh' >= kh
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  let cropped = full;
  if (full.shape[1] !== g.kh || full.shape[2] !== g.kw) {
    cropped = kernel("Slice")({
      inputs: { x: full },
      backend,
      attrs: { begin: [0, 0, 0, 0], size: [g.inC, g.kh, g.kw, g.outC] },
    });
    backend.disposeData(full.dataId);
  }
  const dw = transpose(backend, cropped, [1, 2, 0, 3]); // [kh, kw, Cin, Cout]
  backend.disposeData(cropped.dataId);
  return dw;
}

/** Conv2DBackpropInput through the forward convolution. */
function backpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const inputShape = attrs.inputShape as number[];
  const g = geometry(inputShape, filter.shape, attrs);
  // Flipped filter, input/output channels swapped: wf[i,j,co,ci] = w[kh-1-i, kw-1-j, ci, co].
  const w = heap(backend, filter);
  const wfInfo = backend.makeOutput([g.kh, g.kw, g.outC, g.inC], "float32");
  const wf = heap(backend, wfInfo);
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const src = ((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.inC * g.outC;
      const dst = (i * g.kw + j) * g.outC * g.inC;
      for (let ci = 0; ci < g.inC; ci++) {
        for (let co = 0; co < g.outC; co++) wf[dst + co * g.inC + ci] = w[src + ci * g.outC + co];
      }
    }
  }
  const top = g.kh - 1 - g.padTop;
  const left = g.kw - 1 - g.padLeft;
  const spanH = (g.outH - 1) * g.sh + 1;
  const spanW = (g.outW - 1) * g.sw + 1;
  // Input row h reads dilated rows h + padTop - (kh-1) + i; the last one is inH - 1 + padTop.
  const bottom = g.inH - spanH + g.padTop;
  const right = g.inW - spanW + g.padLeft;
  let dx: TensorInfo;
  if (g.sh === 1 && g.sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
    dx = conv(backend, dy, wfInfo, {
      dilations: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    });
  } else {
    // Zero-interleave dy by the stride into a padded buffer, then a valid convolution.
    const hp = g.inH + g.kh - 1;
    const wp = g.inW + g.kw - 1;
    const paddedInfo = backend.makeOutput([g.batch, hp, wp, g.outC], "float32");
    const padded = heap(backend, paddedInfo);
    padded.fill(0);
    const src = heap(backend, dy);
    for (let n = 0; n < g.batch; n++) {
      for (let p = 0; p < g.outH; p++) {
        const r = top + p * g.sh;
        if (r < 0 || r >= hp) continue;
        for (let q = 0; q < g.outW; q++) {
          const c = left + q * g.sw;
          if (c < 0 || c >= wp) continue;
          const from = ((n * g.outH + p) * g.outW + q) * g.outC;
          padded.set(src.subarray(from, from + g.outC), ((n * hp + r) * wp + c) * g.outC);
        }
      }
    }
    dx = conv(backend, paddedInfo, wfInfo, { dilations: [1, 1], pad: "valid" });
    backend.disposeData(paddedInfo.dataId);
  }
  backend.disposeData(wfInfo.dataId);
  return dx;
}

let registered = false;

/** Registers the kernels for the `wasm` backend (idempotent). */
export function registerWasmConvBackprop(): void {
  if (registered) return;
  registered = true;
  for (const kernelName of ["Conv2DBackpropFilter", "Conv2DBackpropInput"]) {
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
  }
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: backpropFilter as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: backpropInput as unknown as tf.KernelFunc,
  });
}
