/**
 * What a failure inside a worker or a wasm kernel means to the user: the wasm heap running out is
 * the size the user chose (one line, exit 1), not a fault; a worker reports its failure to the
 * thread that started it as the user's one line or as an error with its stack. Kept apart from
 * `errors.ts`, which every stage's key holds, so that these can change without staling prepared
 * faces.
 * @module
 */
import { UserError } from "./errors.ts";

/** The wasm backend's heap size now, in bytes, where one has been started in this thread. */
let wasmHeapBytes: (() => number) | undefined;

/**
 * Where this thread's wasm heap size can be read: set by `selectBackend` when it starts the wasm
 * backend, so that {@linkcode describeWasmExhaustion} can tell a full heap from a kernel's fault.
 */
export function watchWasmHeap(size: (() => number) | undefined): void {
  wasmHeapBytes = size;
}

/**
 * Smallest heap at which an out-of-bounds trap is taken for the heap running out. The size that
 * ran out in practice was close to the 4 GB maximum (a 0.55 GB block on top of a grown heap); a
 * trap in a heap under 1 GB is a kernel reading or writing where it should not, a fault.
 */
export const EXHAUSTED_HEAP_BYTES = 2 ** 30;

/**
 * One line for the wasm backend's memory running out: tfjs's wasm heap holds at most 4 GB, and
 * a model asked for longer descriptors or larger batches than fit in it (a size the user chose,
 * not a fault) makes its kernels write outside it. Undefined for any other error, and for a trap
 * while the heap (`heapBytes`, by default the watched one's size) is under
 * {@linkcode EXHAUSTED_HEAP_BYTES}: that is a fault, to be reported with its stack.
 *
 * @example
 * ```ts
 * describeWasmExhaustion(new WebAssembly.RuntimeError("memory access out of bounds"), 3.9e9);
 * // "the wasm backend's memory (4 GB at most) ran out at 3.9 GB (...): ..."
 * describeWasmExhaustion(new WebAssembly.RuntimeError("memory access out of bounds"), 64e6); // undefined
 * ```
 */
export function describeWasmExhaustion(
  error: unknown,
  heapBytes: number | undefined = wasmHeapBytes?.(),
): string | undefined {
  if (!(error instanceof WebAssembly.RuntimeError)) return undefined;
  if (!/memory access out of bounds|out of memory/i.test(error.message)) return undefined;
  if (heapBytes !== undefined && heapBytes < EXHAUSTED_HEAP_BYTES) return undefined;
  const size = heapBytes === undefined ? "" : ` at ${(heapBytes / 1e9).toFixed(1)} GB`;
  return `the wasm backend's memory (4 GB at most) ran out${size} (${error.message}): the ` +
    `model's descriptors or batches are too large for it; fewer Gaussians ` +
    `(fisher:gaussians=N), a smaller pca=N or --batch-size need less`;
}

/**
 * What a worker reports of `error` to the thread that started it: a user's error (a UserError,
 * or the wasm heap running out: the size the user chose) as one line flagged `user`, anything
 * else with its stack.
 *
 * @example
 * ```ts
 * workerFailure(new UserError("--lr 0: not above 0")); // { message: "--lr 0: not above 0", user: true, stack: "..." }
 * ```
 */
export function workerFailure(error: unknown): { message: string; user: boolean; stack?: string } {
  const exhausted = describeWasmExhaustion(error);
  return {
    message: exhausted ?? (error instanceof Error ? error.message : String(error)),
    user: error instanceof UserError || exhausted !== undefined,
    stack: error instanceof Error ? error.stack : undefined,
  };
}
