/**
 * `LeakyReluBiasGrad`: from a leaky ReLU's output y and the gradient dy of a
 * conv + bias + leaky ReLU layer, the pre-activation gradient dz = dy * (y > 0 ? 1 : alpha) and
 * the bias gradient (dz summed over every axis but the last), in one pass. tfjs builds dz from
 * three full passes (Greater, Multiply, Select) and sums over leading axes by transposing first;
 * this project's kernel for the wasm backend is one loop over its heap. Other backends use the
 * composite.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The kernel's name in tfjs's registry. */
export const LEAKY_RELU_BIAS_GRAD = "FaceComparerLeakyReluBiasGrad";

/** Registers the kernel for the wasm backend (idempotent). */
export function registerWasmLeakyReluGrad(): void {
  if (tf.getKernel(LEAKY_RELU_BIAS_GRAD, "wasm")) return;
  tf.registerKernel({
    kernelName: LEAKY_RELU_BIAS_GRAD,
    backendName: "wasm",
    kernelFunc: (({ inputs, backend, attrs }: {
      inputs: { dy: tf.TensorInfo; y: tf.TensorInfo };
      backend: BackendWasm;
      attrs: { alpha: number };
    }) => {
      const channels = inputs.dy.shape[inputs.dy.shape.length - 1];
      const dzInfo = backend.makeOutput(inputs.dy.shape, "float32");
      const dbInfo = backend.makeOutput([channels], "float32");
      const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
      const y = backend.typedArrayFromHeap(inputs.y) as Float32Array;
      const dz = backend.typedArrayFromHeap(dzInfo) as Float32Array;
      const sums = new Float64Array(channels);
      const alpha = attrs.alpha;
      for (let i = 0; i < dz.length; i += channels) {
        for (let c = 0; c < channels; c++) {
          const g = y[i + c] > 0 ? dy[i + c] : alpha * dy[i + c];
          dz[i + c] = g;
          sums[c] += g;
        }
      }
      (backend.typedArrayFromHeap(dbInfo) as Float32Array).set(sums);
      return [dzInfo, dbInfo];
    }) as unknown as tf.KernelFunc,
  });
}

/**
 * [dz, db] for a leaky ReLU output y (alpha > 0, so y > 0 exactly when its input is): dz =
 * dy * (y > 0 ? 1 : alpha), db = dz summed over all axes but the last.
 */
export function leakyReluBiasGrad(
  dy: tf.Tensor,
  y: tf.Tensor,
  options: { alpha: number },
): [tf.Tensor, tf.Tensor1D] {
  const { alpha } = options;
  if (tf.getKernel(LEAKY_RELU_BIAS_GRAD, tf.getBackend())) {
    const [dz, db] = tf.engine().runKernel(
      LEAKY_RELU_BIAS_GRAD,
      { dy, y },
      { alpha } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    return [dz, db as tf.Tensor1D];
  }
  const dz = tf.where(tf.greater(y, 0), dy, tf.mul(dy, alpha));
  return [dz, tf.sum(dz, [...Array(dz.rank - 1).keys()]) as tf.Tensor1D];
}
