/**
 * `LeakyReluGradFromOutput`: dy * (y > 0 ? 1 : alpha), computed from the activation's output
 * in one pass. tfjs builds this gradient from three kernels (Greater, Multiply, Select), each a
 * full pass over the tensor; this project's kernel for the wasm backend is one loop over its
 * heap. Other backends use the composite.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The kernel's name in tfjs's registry. */
export const LEAKY_RELU_GRAD = "FaceComparerLeakyReluGradFromOutput";

/** Registers the kernel for the wasm backend (idempotent). */
export function registerWasmLeakyReluGrad(): void {
  if (tf.getKernel(LEAKY_RELU_GRAD, "wasm")) return;
  tf.registerKernel({
    kernelName: LEAKY_RELU_GRAD,
    backendName: "wasm",
    kernelFunc: (({ inputs, backend, attrs }: { inputs: { dy: tf.TensorInfo; y: tf.TensorInfo }; backend: BackendWasm; attrs: { alpha: number } }) => {
      const out = backend.makeOutput(inputs.dy.shape, "float32");
      const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
      const y = backend.typedArrayFromHeap(inputs.y) as Float32Array;
      const dx = backend.typedArrayFromHeap(out) as Float32Array;
      const alpha = attrs.alpha;
      for (let i = 0; i < dx.length; i++) dx[i] = y[i] > 0 ? dy[i] : alpha * dy[i];
      return out;
    }) as unknown as tf.KernelFunc,
  });
}

/** dy * (y > 0 ? 1 : alpha) for a leaky ReLU output y (alpha > 0, so y > 0 exactly when x > 0). */
export function leakyReluGradFromOutput(dy: tf.Tensor, y: tf.Tensor, alpha: number): tf.Tensor {
  if (tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, y }, { alpha } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return tf.where(tf.greater(y, 0), dy, tf.mul(dy, alpha));
}
