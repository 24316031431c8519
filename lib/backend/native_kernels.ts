/**
 * Native kernels for the tfjs `wasm` backend: convolutions (forward, filter and input
 * gradients) and matrix products computed by a small C library (`native/conv_kernels.c`,
 * built by `deno task build-native`) on top of OpenBLAS, called through Deno's FFI on the
 * tensors where they lie in the wasm heap (no copies).
 *
 * WebAssembly SIMD is 128 bits wide and the wasm backend's fastest kernel (XNNPACK's forward
 * convolution) reaches about 37 GFLOP/s per core here; OpenBLAS uses the CPU's full vector
 * width (AVX2/AVX-512) and reaches 55-95 GFLOP/s on the seed network's layers, forward and
 * backward. When the library is absent (not built, no OpenBLAS, another OS) or
 * `FACE_COMPARER_NATIVE=off`, the wasm backend runs with this project's wasm kernels alone.
 * @module
 */
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type ConvGeometry, convGeometry } from "./conv_geometry.ts";
import { LEAKY_RELU_BIAS_GRAD } from "./wasm_leaky_relu_grad.ts";
import { MIXTURE_MOMENTS_KERNEL, ROOT_SIFT_KERNEL } from "./kernel_names.ts";
import { UserError } from "../util/errors.ts";
import { nativeUnavailable, openFailure, sourceSha256 } from "../util/native_library.ts";
import { dlopenWithOpenBlasCore, readCpuinfo } from "../util/openblas_core.ts";

type TensorInfo = tf.TensorInfo;
type KernelArgs = {
  inputs: Record<string, TensorInfo | undefined>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
};
type KernelFunc = (args: KernelArgs) => TensorInfo;

const SYMBOLS = {
  fc_conv_forward: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "f32", "i32"],
    result: "i32",
  },
  fc_conv_backprop_filter: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  fc_conv_backprop_input: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  fc_matmul: {
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  fc_leaky_relu_bias_grad: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32", "i32", "f32"],
    result: "i32",
  },
  fc_adam_step: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32", "buffer"],
    result: "void",
  },
  fc_dense_sift: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  fc_mixture_moments: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  fc_set_threads: { parameters: ["i32"], result: "void" },
  fc_describe: { parameters: ["buffer", "i32"], result: "i32" },
  // Optional so that a build older than it loads far enough to be refused with a clear reason.
  fc_build_info: { parameters: ["buffer", "i32"], result: "i32", optional: true },
} as const;

type NativeLibrary = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The source the library is built from (its hash is stamped into the build). */
export const NATIVE_SOURCE_URL = new URL("../../native/conv_kernels.c", import.meta.url);

/** What a build says about itself through `fc_build_info`. */
export interface NativeBuildInfo {
  /** SHA-256 of the `conv_kernels.c` it was compiled from. */
  sourceSha256: string;
  /** Instruction-set extensions the build may use, named as in /proc/cpuinfo. */
  features: string[];
  /** OpenBLAS's threading: "sequential", "pthreads" or "OpenMP". */
  threading: string;
}

/** Parses `fc_build_info`'s "<sha256>|<features>|<parallel>". */
export function parseBuildInfo(text: string): NativeBuildInfo {
  const [sha, features = "", parallel = ""] = text.split("|");
  return {
    sourceSha256: sha,
    features: features.trim().split(/\s+/).filter(Boolean),
    threading: ({ "0": "sequential", "1": "pthreads", "2": "OpenMP" } as Record<string, string>)[
      parallel
    ] ?? `unknown (${parallel})`,
  };
}

/**
 * Why a build must not be used here, or undefined when it may: built from another source than
 * `sourceSha256` (stale), or for CPU features that `cpuinfo` lacks (a `-march=native` build
 * copied from another machine would die on an illegal instruction). Features are checked where
 * /proc/cpuinfo lists flags (Linux on x86).
 */
export function buildProblem(
  build: NativeBuildInfo,
  sourceSha256: string | undefined,
  cpuinfo: string,
): string | undefined {
  if (sourceSha256 !== undefined && build.sourceSha256 !== sourceSha256) {
    return `it was built from another version of native/conv_kernels.c: run \`deno task build-native\``;
  }
  const flagsLine = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  if (flagsLine !== undefined) {
    const flags = new Set(flagsLine.trim().split(/\s+/));
    const missing = build.features.filter((f) => !flags.has(f));
    if (missing.length > 0) {
      return `it was built for a CPU with ${
        missing.join(", ")
      }, which this CPU lacks: run \`deno task build-native\` on this machine`;
    }
  }
  return undefined;
}

/** The default place of the built library (see native/build.sh). */
export const NATIVE_LIBRARY_URL = new URL("../../native/build/libface_kernels.so", import.meta.url);

/** What {@linkcode loadNativeKernels} found. */
export type NativeStatus =
  | { available: true; description: string; path: string }
  | { available: false; reason: string };

let library: NativeLibrary | undefined;
let status: NativeStatus | undefined;

/**
 * Opens the native library once per thread (`FACE_COMPARER_NATIVE_LIB` overrides its path;
 * `FACE_COMPARER_NATIVE=off` disables it). The status says why it is unavailable; throws a
 * {@linkcode UserError} only when FACE_COMPARER_BLAS_CORE names a kernel set OpenBLAS did not load
 * (an unknown name, or one this build or CPU lacks: OpenBLAS then silently picks its own).
 */
export function loadNativeKernels(): NativeStatus {
  if (status) return status;
  const path = Deno.env.get("FACE_COMPARER_NATIVE_LIB") ?? fileURLToPath(NATIVE_LIBRARY_URL);
  const unavailable = nativeUnavailable(path, "gcc and OpenBLAS");
  if (unavailable) return status = { available: false, reason: unavailable };
  const cpuinfo = readCpuinfo();
  let requestedCore: string | undefined;
  try {
    ({ symbols: library, requestedCore } = dlopenWithOpenBlasCore(path, SYMBOLS, cpuinfo));
  } catch (error) {
    return status = { available: false, reason: openFailure(path, error) };
  }
  const infoText = new Uint8Array(512);
  const build = library.fc_build_info
    ? parseBuildInfo(
      new TextDecoder().decode(infoText.subarray(0, library.fc_build_info(infoText, 512))),
    )
    : undefined;
  const problem = build
    ? buildProblem(build, sourceSha256(NATIVE_SOURCE_URL), cpuinfo)
    : "it was built by an older version of this project: run `deno task build-native`";
  if (problem) {
    library = undefined;
    return status = { available: false, reason: `${path} is not used: ${problem}` };
  }
  // One BLAS thread per caller: training runs one thread per side of the pair itself.
  library.fc_set_threads(1);
  const text = new Uint8Array(256);
  const length = library.fc_describe(text, text.length);
  const [config, core] = new TextDecoder().decode(text.subarray(0, Math.max(0, length))).split("|");
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..." -> "OpenBLAS 0.3.21, Haswell kernels"
  const version = config.split(" ").slice(0, 2).join(" ");
  if (requestedCore && requestedCore.toLowerCase() !== core.toLowerCase()) {
    throw new UserError(
      `FACE_COMPARER_BLAS_CORE=${requestedCore}: ${version} did not load that kernel set (unknown ` +
        `name, or not in this build or CPU; it chose ${core}); use auto, openblas or a core ` +
        `name such as Haswell, SkylakeX or Zen`,
    );
  }
  const description = `${version} ${build!.threading}, ${core} kernels`;
  return status = { available: true, description, path };
}

function geometryArray(g: ConvGeometry): Int32Array {
  return Int32Array.of(
    g.batch,
    g.inH,
    g.inW,
    g.inC,
    g.outH,
    g.outW,
    g.outC,
    g.kh,
    g.kw,
    g.sh,
    g.sw,
    g.padTop,
    g.padLeft,
  );
}

function heap(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * The heap view of `info`, after checking that it holds the `expected` number of values its
 * kernel's geometry says (the C code trusts its caller: a wrong size there reads or writes out
 * of bounds instead of failing).
 */
function sized(
  backend: BackendWasm,
  info: TensorInfo,
  expected: number,
  what: string,
): Float32Array {
  const view = heap(backend, info);
  if (view.length !== expected || !Number.isInteger(expected)) {
    throw new Error(
      `native kernel: ${what} has ${view.length} values, its geometry needs ${expected}`,
    );
  }
  return view;
}

/** Values of an NHWC input, filter and output of a convolution geometry. */
function convSizes(g: ConvGeometry): { x: number; filter: number; y: number } {
  return {
    x: g.batch * g.inH * g.inW * g.inC,
    filter: g.kh * g.kw * g.inC * g.outC,
    y: g.batch * g.outH * g.outW * g.outC,
  };
}

/** Geometries with an empty side are left to tfjs (nothing to compute; its kernels cope). */
function empty(g: ConvGeometry): boolean {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kh, g.kw].some((d) => d <= 0);
}

function check(code: number, kernel: string): void {
  if (code !== 0) throw new Error(`native ${kernel} failed (code ${code}: out of memory?)`);
}

/** Geometry the native kernels handle (NHWC, no dilation), or undefined to delegate. */
function nativeGeometry(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): ConvGeometry | undefined {
  try {
    return convGeometry(xShape, filterShape, attrs);
  } catch {
    return undefined;
  }
}

function forwardKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo>;
    const activation = (attrs.activation ?? "linear") as string;
    const g = nativeGeometry(x.shape, filter.shape, attrs);
    const supported = g && x.dtype === "float32" && !preluActivationWeights &&
      ["linear", "relu", "leakyrelu"].includes(activation) &&
      (!bias || tf.util.sizeFromShape(bias.shape) === g.outC);
    if (!supported || empty(g!)) return original(args);
    const sizes = convSizes(g!);
    const out = backend.makeOutput([g!.batch, g!.outH, g!.outW, g!.outC], "float32");
    const alpha = activation === "leakyrelu" ? Number(attrs.leakyreluAlpha ?? 0.2) : 0;
    check(
      library!.fc_conv_forward(
        sized(backend, x, sizes.x, "Conv2D x"),
        sized(backend, filter, sizes.filter, "Conv2D filter"),
        bias ? sized(backend, bias, g!.outC, "Conv2D bias") : null,
        sized(backend, out, sizes.y, "Conv2D output"),
        geometryArray(g!),
        alpha,
        activation === "linear" ? 0 : 1,
      ),
      "Conv2D",
    );
    return out;
  };
}

function backpropFilterKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { backend, attrs } = args;
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    const filterShape = attrs.filterShape as number[];
    const g = nativeGeometry(x.shape, filterShape, attrs);
    if (!g || empty(g) || x.dtype !== "float32" || dy.dtype !== "float32") return original(args);
    const sizes = convSizes(g);
    const out = backend.makeOutput(filterShape, "float32");
    check(
      library!.fc_conv_backprop_filter(
        sized(backend, x, sizes.x, "Conv2DBackpropFilter x"),
        sized(backend, dy, sizes.y, "Conv2DBackpropFilter dy"),
        sized(backend, out, sizes.filter, "Conv2DBackpropFilter output"),
        geometryArray(g),
      ),
      "Conv2DBackpropFilter",
    );
    return out;
  };
}

function backpropInputKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { backend, attrs } = args;
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    const inputShape = attrs.inputShape as number[];
    const g = nativeGeometry(inputShape, filter.shape, attrs);
    if (!g || empty(g) || dy.dtype !== "float32" || filter.dtype !== "float32") {
      return original(args);
    }
    const sizes = convSizes(g);
    const out = backend.makeOutput(inputShape, "float32");
    check(
      library!.fc_conv_backprop_input(
        sized(backend, dy, sizes.y, "Conv2DBackpropInput dy"),
        sized(backend, filter, sizes.filter, "Conv2DBackpropInput filter"),
        sized(backend, out, sizes.x, "Conv2DBackpropInput output"),
        geometryArray(g),
      ),
      "Conv2DBackpropInput",
    );
    return out;
  };
}

/** BatchMatMul with equal (or absent) batch dimensions; broadcasting is delegated. */
function matMulKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { backend, attrs } = args;
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const ra = a.shape.length, rb = b.shape.length;
    const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
    if (
      ra !== rb || ra < 2 || a.dtype !== "float32" || b.dtype !== "float32" ||
      batchA.some((d, i) => d !== batchB[i])
    ) {
      return original(args);
    }
    const transposeA = Boolean(attrs.transposeA), transposeB = Boolean(attrs.transposeB);
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batch = tf.util.sizeFromShape(batchA);
    const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    if (kB !== k) {
      throw new Error(`native kernel: BatchMatMul inner sizes differ (${k} and ${kB})`);
    }
    if ([batch, m, n, k].some((d) => d <= 0)) return original(args);
    const out = backend.makeOutput([...batchA, m, n], "float32");
    check(
      library!.fc_matmul(
        sized(backend, a, batch * m * k, "BatchMatMul a"),
        sized(backend, b, batch * k * n, "BatchMatMul b"),
        sized(backend, out, batch * m * n, "BatchMatMul output"),
        Int32Array.of(batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0),
      ),
      "BatchMatMul",
    );
    return out;
  };
}

/**
 * {@linkcode ROOT_SIFT_KERNEL}: dense root-SIFT of one-channel square faces (`fc_dense_sift`, the
 * arithmetic of `rootSiftOps` in one pass over each face instead of some twenty tfjs ops).
 */
function rootSiftKernel(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const { images } = args.inputs as Record<string, TensorInfo>;
  const [batch, side, width, channels] = images.shape;
  const cell = Number(attrs.cell), step = Number(attrs.step);
  if (
    images.dtype !== "float32" || images.shape.length !== 4 || side !== width || channels !== 1 ||
    !(Number.isInteger(cell) && cell >= 1 && Number.isInteger(step) && step >= 1) ||
    side < 4 * cell
  ) {
    throw new Error(
      `native kernel: ${ROOT_SIFT_KERNEL} needs float32 faces [batch, side, side, 1] of at least ` +
        `4 cells and whole cell and step sizes (got ${images.shape}, cell ${cell}, step ${step})`,
    );
  }
  const count = Math.floor((side - 4 * cell) / step) + 1;
  const out = backend.makeOutput([batch, count * count, 128], "float32");
  if (batch === 0) return out;
  check(
    library!.fc_dense_sift(
      sized(backend, images, batch * side * side, `${ROOT_SIFT_KERNEL} faces`),
      sized(backend, out, batch * count * count * 128, `${ROOT_SIFT_KERNEL} output`),
      Int32Array.of(batch, side, cell, step),
    ),
    ROOT_SIFT_KERNEL,
  );
  return out;
}

/**
 * {@linkcode MIXTURE_MOMENTS_KERNEL}: a Gaussian mixture's posterior moments over each batch
 * item's rows (`fc_mixture_moments`), three outputs: second and first [batch, gaussians, dims],
 * mass [batch, gaussians, 1].
 */
function mixtureMomentsKernel(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { x, weights } = args.inputs as Record<string, TensorInfo>;
  const [batch, rows, dims] = x.shape;
  const [width, gaussians] = weights.shape;
  if (
    x.dtype !== "float32" || weights.dtype !== "float32" || x.shape.length !== 3 ||
    weights.shape.length !== 2 || width !== 2 * dims + 1
  ) {
    throw new Error(
      `native kernel: ${MIXTURE_MOMENTS_KERNEL} needs float32 rows [batch, rows, dims] and ` +
        `weights [2 dims + 1, gaussians] (got ${x.shape} and ${weights.shape})`,
    );
  }
  const second = backend.makeOutput([batch, gaussians, dims], "float32");
  const first = backend.makeOutput([batch, gaussians, dims], "float32");
  const mass = backend.makeOutput([batch, gaussians, 1], "float32");
  const outputs = [second, first, mass];
  if (batch * gaussians === 0) return outputs;
  if (rows * dims === 0) {
    // No rows: every sum is zero.
    for (const out of outputs) heap(backend, out).fill(0);
    return outputs;
  }
  check(
    library!.fc_mixture_moments(
      sized(backend, x, batch * rows * dims, `${MIXTURE_MOMENTS_KERNEL} rows`),
      sized(backend, weights, width * gaussians, `${MIXTURE_MOMENTS_KERNEL} weights`),
      sized(backend, second, batch * gaussians * dims, `${MIXTURE_MOMENTS_KERNEL} second`),
      sized(backend, first, batch * gaussians * dims, `${MIXTURE_MOMENTS_KERNEL} first`),
      sized(backend, mass, batch * gaussians, `${MIXTURE_MOMENTS_KERNEL} mass`),
      Int32Array.of(batch, rows, dims, gaussians),
    ),
    MIXTURE_MOMENTS_KERNEL,
  );
  return outputs;
}

function leakyReluBiasGradKernel(original: KernelFunc): KernelFunc {
  return ((args: KernelArgs) => {
    const { backend, attrs } = args;
    const { dy, y } = args.inputs as Record<string, TensorInfo>;
    const size = tf.util.sizeFromShape(dy.shape);
    const channels = dy.shape[dy.shape.length - 1];
    if (dy.dtype !== "float32" || y.dtype !== "float32" || size === 0 || !(channels > 0)) {
      return original(args);
    }
    const dz = backend.makeOutput(dy.shape, "float32");
    const db = backend.makeOutput([channels], "float32");
    check(
      library!.fc_leaky_relu_bias_grad(
        sized(backend, dy, size, "LeakyReluBiasGrad dy"),
        sized(backend, y, size, "LeakyReluBiasGrad y"),
        sized(backend, dz, size, "LeakyReluBiasGrad dz"),
        sized(backend, db, channels, "LeakyReluBiasGrad db"),
        size,
        channels,
        attrs.alpha as number,
      ),
      LEAKY_RELU_BIAS_GRAD,
    );
    return [dz, db];
  }) as unknown as KernelFunc;
}

/** Adam's per-step constants (see `lib/train/adam.ts`); each is rounded to float32. */
export interface AdamStepConstants {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** The bias-corrected learning rate of this step. */
  learningRate: number;
  epsilon: number;
}

/** The tensors of one Adam update: the variable, its moment estimates and its gradient. */
export interface AdamSlot {
  variable: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  gradient: tf.Tensor;
}

/**
 * One Adam step in place, in native code, on the wasm heap: replaces 11 tfjs kernels and their
 * intermediate tensors per variable (12-16 ms a step for the seed network's 1.63M parameters)
 * with one pass, and equals their float32 result bit for bit. Returns false, changing nothing,
 * unless the native kernels are in use, all four tensors are float32 of one size on the wasm
 * backend, and no other tensor shares the memory of the variable or its moments.
 */
export function nativeAdamStep(slot: AdamSlot, constants: AdamStepConstants): boolean {
  if (!nativeKernelsInUse() || tf.getBackend() !== "wasm") return false;
  const backend = tf.engine().backend as BackendWasm;
  const { variable, m, v, gradient } = slot;
  const all = [variable, m, v, gradient];
  if (all.some((t) => t.dtype !== "float32" || t.size !== variable.size)) return false;
  if (!all.every((t) => backend.dataIdMap.has(t.dataId))) return false;
  if ([variable, m, v].some((t) => backend.refCount(t.dataId) !== 1)) return false;
  library!.fc_adam_step(
    heap(backend, variable),
    heap(backend, m),
    heap(backend, v),
    heap(backend, gradient),
    variable.size,
    Float32Array.of(
      constants.beta1,
      constants.oneMinusBeta1,
      constants.beta2,
      constants.oneMinusBeta2,
      constants.learningRate,
      constants.epsilon,
    ),
  );
  return true;
}

/** The native kernels that tfjs lacks (composite ops in `fisher_vectors.ts` otherwise). */
const OWN_KERNELS: [string, (args: KernelArgs) => TensorInfo | TensorInfo[]][] = [
  [ROOT_SIFT_KERNEL, rootSiftKernel],
  [MIXTURE_MOMENTS_KERNEL, mixtureMomentsKernel],
];

/** Kernels replaced by the native set, with the configs they replaced (to restore them). */
const replaced = new Map<string, tf.KernelConfig>();

function override(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(name, "wasm");
  if (!original) throw new Error(`the wasm backend has no ${name} kernel`);
  replaced.set(name, original);
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    setupFunc: original.setupFunc,
    kernelFunc: make(original.kernelFunc as unknown as KernelFunc) as unknown as tf.KernelFunc,
  });
}

/**
 * Puts the native kernels in place of the wasm backend's (after this project's wasm kernels
 * are registered; idempotent). Returns false, changing nothing, when the library is
 * unavailable.
 */
export function useNativeKernels(): boolean {
  if (replaced.size > 0) return true;
  if (!loadNativeKernels().available) return false;
  override("Conv2D", forwardKernel);
  override("FusedConv2D", forwardKernel);
  override("Conv2DBackpropFilter", backpropFilterKernel);
  override("Conv2DBackpropInput", backpropInputKernel);
  override("BatchMatMul", matMulKernel);
  override(LEAKY_RELU_BIAS_GRAD, leakyReluBiasGradKernel);
  // Kernels of their own rather than replacements: the wasm backend has none to replace.
  for (const [kernelName, kernelFunc] of OWN_KERNELS) {
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  return true;
}

/** Puts back the kernels {@linkcode useNativeKernels} replaced (for comparisons and tests). */
export function useWasmKernels(): void {
  for (const [name, config] of replaced) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(config);
  }
  if (replaced.size > 0) {
    for (const [kernelName] of OWN_KERNELS) tf.unregisterKernel(kernelName, "wasm");
  }
  replaced.clear();
}

/** Whether the native kernels are in place. */
export function nativeKernelsInUse(): boolean {
  return replaced.size > 0;
}

/**
 * Runs `work` with OpenBLAS allowed `threads` threads for each product, then goes back to one
 * (the setting is the process's, not the calling thread's). For steps that run on the main thread
 * alone, such as a descriptor fit's PCA; never while workers multiply (each of them parallelises
 * across faces or pairs itself, one BLAS thread apiece). Without the native library it only runs
 * `work`.
 *
 * @example
 * ```ts
 * const pca = await withBlasThreads(navigator.hardwareConcurrency, () => fitPca(rows, n, options));
 * ```
 */
export async function withBlasThreads<T>(threads: number, work: () => T | Promise<T>): Promise<T> {
  if (!library || !nativeKernelsInUse()) return await work();
  library.fc_set_threads(Math.max(1, Math.floor(threads)));
  try {
    return await work();
  } finally {
    library.fc_set_threads(1);
  }
}
