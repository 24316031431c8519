/**
 * Batches built ahead of time by a worker, so the training step never waits for augmentation.
 * @module
 */
import type { Batch, BatchSourceInput } from "./pair_batches.ts";
import { WorkerCode } from "../pipeline/worker_code.ts";

/** The batch workers' module (its code checked before each starts). */
const BATCH_WORKER = new WorkerCode(new URL("./batch_worker.ts", import.meta.url));

/** Requests batches of an epoch in order from a worker, keeping `depth` of them in flight. */
export class BatchPrefetcher {
  readonly #worker: Worker;
  readonly #pending = new Map<
    string,
    { resolve: (b: Batch) => void; reject: (e: unknown) => void; promise: Promise<Batch> }
  >();
  readonly #depth: number;
  #failure: unknown;

  /** Starts the worker with the batch source `input`. */
  constructor(input: BatchSourceInput, options: { depth?: number } = {}) {
    this.#depth = options.depth ?? 3;
    this.#worker = BATCH_WORKER.start();
    this.#worker.onmessage = (event: MessageEvent) => {
      const { epoch, index, batch } = event.data;
      this.#pending.get(`${epoch}/${index}`)?.resolve(batch);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failure = new Error(`batch worker failed: ${event.message}`);
      for (const p of this.#pending.values()) p.reject(this.#failure);
    };
    this.#worker.postMessage({ input });
  }

  #request(epoch: number, index: number): Promise<Batch> {
    const key = `${epoch}/${index}`;
    let entry = this.#pending.get(key);
    if (!entry) {
      let resolve!: (b: Batch) => void, reject!: (e: unknown) => void;
      const promise = new Promise<Batch>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      entry = { resolve, reject, promise };
      this.#pending.set(key, entry);
      if (this.#failure) reject(this.#failure);
      else this.#worker.postMessage({ epoch, index });
    }
    return entry.promise;
  }

  /** Returns batch `index` of `epoch` and asks for the next ones (up to `count` batches). */
  async get(epoch: number, index: number, count: number): Promise<Batch> {
    for (let i = index; i < Math.min(count, index + this.#depth); i++) this.#request(epoch, i);
    const batch = await this.#request(epoch, index);
    this.#pending.delete(`${epoch}/${index}`);
    return batch;
  }

  /** Stops the worker. */
  close(): void {
    this.#worker.terminate();
  }
}
