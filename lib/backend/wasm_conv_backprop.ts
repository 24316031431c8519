/**
 * Fast convolution gradients for the tfjs `wasm` backend, registered as kernels so that every
 * model trains with them. The wasm backend has no `Conv2DBackpropFilter` at all and a slow
 * `Conv2DBackpropInput`; both gradients are re-expressed here through its fast forward
 * convolution (XNNPACK):
 *
 * - filter gradient: dW[i,j,ci,co] = sum over n,p,q of x[n, p*s+i-pt, q*s+j-pl, ci] * dy[n,p,q,co],
 *   a forward convolution of x with batch and channels swapped ([Cin,H,W,N]) by dy used as the
 *   filter ([Ho,Wo,N,Cout]), dilated by the stride;
 * - input gradient: per output phase (position modulo the stride), a stride-1 convolution of dy
 *   by the matching taps of the filter, flipped in space with input and output channels swapped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type ConvGeometry, convGeometry as geometry } from "./conv_geometry.ts";

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

/**
 * A view of a tensor on the wasm heap. Any allocation can grow the heap and detach earlier
 * views, so take views right before use, after every allocation.
 */
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

/**
 * Conv2DBackpropInput through the forward convolution, split by output phase: the input rows
 * h = ph + s*a (one phase per ph in 0..s-1, likewise for columns) receive gradient only from
 * the filter taps i = i0 + s*t with i0 = (ph + padTop) mod s, so each phase is a stride-1
 * convolution of dy by that sub-filter (flipped, channels swapped). No multiplication by the
 * zeros of a zero-interleaved dy is ever done.
 */
function backpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const g = geometry(attrs.inputShape as number[], filter.shape, attrs);
  const dxInfo = backend.makeOutput([g.batch, g.inH, g.inW, g.inC], "float32");
  for (let ph = 0; ph < g.sh; ph++) {
    const rows = phaseTaps(g.inH, g.kh, g.sh, g.padTop, g.outH, ph);
    for (let pw = 0; pw < g.sw; pw++) {
      const cols = phaseTaps(g.inW, g.kw, g.sw, g.padLeft, g.outW, pw);
      if (rows.count === 0 || cols.count === 0) continue;
      if (rows.taps === 0 || cols.taps === 0) {
        scatterZeros(heap(backend, dxInfo), g, ph, pw, rows.count, cols.count);
        continue;
      }
      // Sub-filter [Th, Tw, Cout, Cin]: wsub[t,u,co,ci] = w[i0 + s(Th-1-t), j0 + s(Tw-1-u), ci, co].
      const subInfo = backend.makeOutput([rows.taps, cols.taps, g.outC, g.inC], "float32");
      const sub = heap(backend, subInfo);
      const w = heap(backend, filter);
      for (let t = 0; t < rows.taps; t++) {
        for (let u = 0; u < cols.taps; u++) {
          const i = rows.first + g.sh * (rows.taps - 1 - t);
          const j = cols.first + g.sw * (cols.taps - 1 - u);
          const src = (i * g.kw + j) * g.inC * g.outC;
          const dst = (t * cols.taps + u) * g.outC * g.inC;
          for (let ci = 0; ci < g.inC; ci++) {
            for (let co = 0; co < g.outC; co++) {
              sub[dst + co * g.inC + ci] = w[src + ci * g.outC + co];
            }
          }
        }
      }
      let source = dy;
      if (rows.skip > 0 || cols.skip > 0) {
        source = kernel("Slice")({
          inputs: { x: dy },
          backend,
          attrs: {
            begin: [0, rows.skip, cols.skip, 0],
            size: [g.batch, g.outH - rows.skip, g.outW - cols.skip, g.outC],
          },
        });
      }
      const part = conv(backend, source, subInfo, {
        dilations: [1, 1],
        pad: [[0, 0], [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter], [0, 0]],
      });
      const [, partH, partW] = part.shape;
      if (g.sh === 1 && g.sw === 1 && partH === g.inH && partW === g.inW) {
        // One phase covering the whole input: the convolution's output is dx itself.
        backend.disposeData(subInfo.dataId);
        if (source !== dy) backend.disposeData(source.dataId);
        backend.disposeData(dxInfo.dataId);
        return part;
      }
      const values = heap(backend, part);
      const dx = heap(backend, dxInfo);
      for (let n = 0; n < g.batch; n++) {
        for (let a = 0; a < rows.count; a++) {
          for (let b = 0; b < cols.count; b++) {
            const from = ((n * partH + a) * partW + b) * g.inC;
            const to = ((n * g.inH + ph + g.sh * a) * g.inW + pw + g.sw * b) * g.inC;
            dx.set(values.subarray(from, from + g.inC), to);
          }
        }
      }
      backend.disposeData(part.dataId);
      backend.disposeData(subInfo.dataId);
      if (source !== dy) backend.disposeData(source.dataId);
    }
  }
  return dxInfo;
}

/** The filter taps and dy window of one output phase along one axis. */
interface PhaseTaps {
  /** Input positions of the phase (ph, ph + s, ...). */
  count: number;
  /** First tap i0 and number of taps (i0, i0 + s, ...). */
  first: number;
  taps: number;
  /** dy rows to skip at the start, and zero rows to add before and after. */
  skip: number;
  padBefore: number;
  padAfter: number;
}

function phaseTaps(
  inSize: number,
  k: number,
  s: number,
  padStart: number,
  outSize: number,
  phase: number,
): PhaseTaps {
  const count = Math.max(0, Math.ceil((inSize - phase) / s));
  const first = (phase + padStart) % s;
  const taps = first < k ? Math.ceil((k - first) / s) : 0;
  // Position a reads dy[a + c - t], t = 0..taps-1: the window starts at offset c - taps + 1.
  const c = (phase + padStart - first) / s;
  const offset = c - taps + 1;
  const skip = Math.max(0, offset);
  const padBefore = Math.max(0, -offset);
  const lastNeeded = offset + count - 1 + taps - 1; // last dy index read
  const padAfter = Math.max(0, lastNeeded - (outSize - 1));
  return { count, first, taps, skip, padBefore, padAfter };
}

function scatterZeros(
  dx: Float32Array,
  g: ConvGeometry,
  ph: number,
  pw: number,
  rows: number,
  cols: number,
): void {
  for (let n = 0; n < g.batch; n++) {
    for (let a = 0; a < rows; a++) {
      for (let b = 0; b < cols; b++) {
        const to = ((n * g.inH + ph + g.sh * a) * g.inW + pw + g.sw * b) * g.inC;
        dx.fill(0, to, to + g.inC);
      }
    }
  }
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
