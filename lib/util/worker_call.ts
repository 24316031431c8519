/**
 * One call in a worker of its own: the caller sends a request and gets a promise of the result;
 * the worker may send log lines, progress and parts of its result (`partial`: moved, not copied,
 * for the caller to put together while the worker goes on) first. A worker's failure comes back as the caller's error, a
 * user's error (`UserError`, one line; also the wasm heap running out) as a `UserError`, anything else with the worker's stack.
 * The worker ends with the call, also when it fails.
 *
 * @example
 * ```ts
 * // in the worker module:
 * serveCall<number[], number>(async (numbers, log) => {
 *   log(`adding ${numbers.length} numbers`);
 *   return { result: numbers.reduce((a, b) => a + b, 0) };
 * });
 * // in the caller:
 * const SUM_WORKER = new WorkerCode(new URL("./sum_worker.ts", import.meta.url));
 * const sum = await callWorker<number[], number>(SUM_WORKER, [1, 2, 3], {
 *   label: "sum",
 *   log: console.log,
 * });
 * ```
 * @module
 */
import type { WorkerCode } from "../pipeline/worker_code.ts";
import { UserError } from "./errors.ts";
import { workerFailure } from "./worker_failure.ts";

/** What a call's worker posts: log lines, then the result or the error. */
export type WorkerReply<T> =
  | { log: string }
  | { progress: number }
  | { partial: unknown }
  | { result: T }
  | { error: string; user: boolean; stack?: string };

/**
 * Runs one call of the worker module `code` with `request` (`transfer`: buffers moved, not
 * copied). Its log lines go to `options.log`; an internal error is prefixed with `label`. A
 * UserError, before any worker starts, if the worker's code changed since the caller loaded.
 */
export function callWorker<Request, Result>(
  code: WorkerCode,
  request: Request,
  options: {
    label: string;
    log?: (line: string) => void;
    /** Called with the items the worker reports finished (see `serveCall`'s `progress`). */
    progress?: (items: number) => void;
    /** Called with each part of the result the worker sends (see `serveCall`'s `partial`). */
    partial?: (part: unknown) => void;
    transfer?: Transferable[];
  },
): Promise<Result> {
  let worker: Worker;
  try {
    worker = code.start();
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise<Result>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply<Result>>) => {
      const reply = event.data;
      if ("log" in reply) return options.log?.(reply.log);
      if ("progress" in reply) return options.progress?.(reply.progress);
      if ("partial" in reply) return options.partial?.(reply.partial);
      worker.terminate();
      if ("result" in reply) return resolve(reply.result);
      if (reply.user) return reject(new UserError(reply.error));
      const error = new Error(`${options.label}: ${reply.error}`);
      if (reply.stack) error.stack = `${error.message}\n(in the worker) ${reply.stack}`;
      reject(error);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`${options.label}: ${event.message}`));
    };
    worker.postMessage(request, options.transfer ?? []);
  });
}

/**
 * Makes this worker serve one {@linkcode callWorker} call with `handler`, which may log, report
 * progress and send parts of its result (with the buffers to move), and returns the result with
 * the buffers to move rather than copy.
 */
export function serveCall<Request, Result>(
  handler: (
    request: Request,
    log: (line: string) => void,
    progress: (items: number) => void,
    partial: (part: unknown, transfer?: Transferable[]) => void,
  ) => Promise<{ result: Result; transfer?: Transferable[] }>,
): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<Request>) => void) | null;
    postMessage(message: WorkerReply<Result>, transfer?: Transferable[]): void;
  };
  scope.onmessage = async (event) => {
    try {
      const { result, transfer } = await handler(
        event.data,
        (line) => scope.postMessage({ log: line }),
        (items) => scope.postMessage({ progress: items }),
        (part, transfer) => scope.postMessage({ partial: part }, transfer ?? []),
      );
      scope.postMessage({ result }, transfer ?? []);
    } catch (error) {
      const { message, user, stack } = workerFailure(error);
      scope.postMessage({ error: message, user, stack });
    }
  };
}

/** Lets the event loop run (Ctrl-C, timers, progress) in the middle of long synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
