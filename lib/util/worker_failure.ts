/**
 * What a failure inside a worker or a wasm kernel means to the user: the wasm heap running out is
 * the size the user chose (one line, exit 1), not a fault; a worker reports its failure to the
 * thread that started it as the user's one line or as an error with its stack. Kept apart from
 * `errors.ts`, which every stage's key holds, so that these can change without staling prepared
 * faces.
 * @module
 */
import { UserError } from "./errors.ts";

/**
 * One line for the wasm backend's memory running out: tfjs's wasm heap holds at most 4 GB, and
 * a model asked for longer descriptors or larger batches than fit in it (a size the user chose,
 * not a fault) makes its kernels write outside it. Undefined for any other error.
 */
export function describeWasmExhaustion(error: unknown): string | undefined {
  if (!(error instanceof WebAssembly.RuntimeError)) return undefined;
  if (!/memory access out of bounds|out of memory/i.test(error.message)) return undefined;
  return `the wasm backend's memory (4 GB at most) ran out (${error.message}): the model's ` +
    `descriptors or batches are too large for it; fewer Gaussians (fisher:gaussians=N), a ` +
    `smaller pca=N or --batch-size need less`;
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
