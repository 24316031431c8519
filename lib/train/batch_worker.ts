/**
 * Worker that builds training batches (augmentation included) while the main thread trains.
 * Messages in: `{ input }` once, then `{ epoch, index }` per batch; out: the batch, with its
 * buffers transferred.
 * @module
 */
/// <reference lib="deno.worker" />
import { type BatchSourceInput, epochOrder, makeBatch } from "./pair_batches.ts";

let input: BatchSourceInput | undefined;
let order: { epoch: number; order: Int32Array } | undefined;

self.onmessage = (event: MessageEvent) => {
  const message = event.data;
  if (message.input) {
    input = message.input as BatchSourceInput;
    order = undefined;
    return;
  }
  const { epoch, index } = message as { epoch: number; index: number };
  if (!input) throw new Error("batch worker: batch requested before input");
  if (order?.epoch !== epoch) {
    order = { epoch, order: epochOrder(input.pairs.a.length, input.seed, epoch) };
  }
  const batch = makeBatch(input, { order: order.order, epoch, index });
  self.postMessage({ epoch, index, batch }, [
    batch.left.buffer as ArrayBuffer,
    batch.right.buffer as ArrayBuffer,
    batch.labels.buffer as ArrayBuffer,
  ]);
};
