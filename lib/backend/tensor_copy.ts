/**
 * Copying tensor values into existing arrays. `dataSync()` returns a fresh array each call, and
 * a fresh multi-megabyte array costs 10-30 ms here in page faults alone (measured: 27 ms for the
 * 4 MB `embed/kernel`, against 0.14 ms to copy the same values into an existing array). Training
 * moves the branch weights and gradients between threads every step, so it copies them from the
 * wasm heap into shared buffers instead.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Copies the values of float32 `tensor` into `target` from index `offset` (default 0). On the
 * wasm backend they are read in place from its heap; elsewhere through `dataSync()`.
 */
export function copyTensorValues(
  tensor: tf.Tensor,
  target: Float32Array,
  options: { offset?: number } = {},
): void {
  const offset = options.offset ?? 0;
  if (tensor.dtype !== "float32") {
    throw new TypeError(`copyTensorValues: expected a float32 tensor, got ${tensor.dtype}`);
  }
  if (offset < 0 || offset + tensor.size > target.length) {
    throw new RangeError(
      `copyTensorValues: ${tensor.size} values do not fit at ${offset} in ${target.length}`,
    );
  }
  const backend = tf.engine().backend;
  if (tf.getBackend() === "wasm" && (backend as BackendWasm).dataIdMap?.has(tensor.dataId)) {
    target.set((backend as BackendWasm).typedArrayFromHeap(tensor) as Float32Array, offset);
  } else {
    target.set(tensor.dataSync() as Float32Array, offset);
  }
}
