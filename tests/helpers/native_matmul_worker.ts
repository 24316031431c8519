/**
 * Test worker: multiplies seeded random matrices with the native kernels, many times, while
 * another worker does the same, and reports the largest error against a plain loop.
 * @module
 */
/// <reference lib="deno.worker" />
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { nativeKernelsInUse } from "../../lib/backend/native_kernels.ts";
import { Rng } from "../../lib/util/rng.ts";
import { relativeError } from "./array_compare.ts";

self.onmessage = async (event: MessageEvent<{ seed: number; size: number; rounds: number }>) => {
  const { seed, size, rounds } = event.data;
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(seed);
  const a = Float32Array.from({ length: size * size }, () => rng.uniform(-1, 1));
  const b = Float32Array.from({ length: size * size }, () => rng.uniform(-1, 1));
  const expected = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      const aik = a[i * size + k];
      for (let j = 0; j < size; j++) expected[i * size + j] += aik * b[k * size + j];
    }
  }
  let worst = 0;
  for (let r = 0; r < rounds; r++) {
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [size, size]), tf.tensor2d(b, [size, size])));
    worst = Math.max(worst, relativeError(expected, product.dataSync()));
    product.dispose();
  }
  self.postMessage({ native: nativeKernelsInUse(), worst });
};
