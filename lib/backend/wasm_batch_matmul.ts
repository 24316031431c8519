/**
 * A faster `BatchMatMul` for the tfjs `wasm` backend. Its kernel is fast for plain products but
 * 15-50x slower when asked to transpose an operand, which is exactly what dense-layer gradients
 * ask for (dx = dy . W^T, dW = x^T . dy). Transposing the operand first with the backend's
 * Transpose kernel and then multiplying plainly gives the same numbers far faster.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type KernelArgs = {
  inputs: Record<string, tf.TensorInfo>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
};
type KernelFunc = (args: KernelArgs) => tf.TensorInfo;

let registered = false;

/** Replaces the wasm backend's BatchMatMul with the transpose-first version (idempotent). */
export function registerWasmBatchMatMul(): void {
  if (registered) return;
  const original = tf.getKernel("BatchMatMul", "wasm");
  if (!original) throw new Error("the wasm backend has no BatchMatMul kernel");
  const plain = original.kernelFunc as unknown as KernelFunc;
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as KernelFunc;
  const swapLast = (backend: BackendWasm, x: tf.TensorInfo) => {
    const rank = x.shape.length;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    return transpose({ inputs: { x }, backend, attrs: { perm } });
  };
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    let { a, b } = inputs;
    const temporary: tf.TensorInfo[] = [];
    if (attrs.transposeA) temporary.push(a = swapLast(backend, a));
    if (attrs.transposeB) temporary.push(b = swapLast(backend, b));
    const out = plain({
      inputs: { a, b },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    for (const t of temporary) backend.disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    setupFunc: original.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
  registered = true;
}
