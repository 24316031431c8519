import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { SEED_MODEL } from "../../lib/model/seed_model.ts";
import { pairTrainingContexts, type StateUpdates } from "../../lib/train/forward_context.ts";
import { forwardPairs } from "../../lib/model/siamese_model.ts";
import { Rng } from "../../lib/util/rng.ts";
import { relativeError } from "../helpers/array_compare.ts";
import { forEachKernelSet } from "../helpers/kernel_sets.ts";

function convGrads(
  backend: string,
  x: Float32Array,
  xShape: number[],
  w: Float32Array,
  wShape: number[],
  stride: number,
  pad: "same" | "valid",
) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad).square().sum();
    const [gx, gw] = tf.grads(f)([tf.tensor(x, xShape), tf.tensor(w, wShape)]);
    return [gx.dataSync().slice(), gw.dataSync().slice()];
  });
}

Deno.test("convolution gradients equal the cpu backend's for random shapes, for each kernel set", async () => {
  await selectBackend("wasm", { log: () => {} });
  forEachKernelSet((set) => {
    const rng = new Rng(12);
    for (let cases = 0; cases < 36; cases++) {
      const k = [1, 3, 5][rng.nextInt(3)],
        stride = 1 + rng.nextInt(2),
        pad = rng.nextInt(2) ? "same" : "valid";
      const n = 1 + rng.nextInt(4), cin = 1 + rng.nextInt(16), cout = 1 + rng.nextInt(16);
      const h = k + rng.nextInt(8), w = k + rng.nextInt(8);
      const x = Float32Array.from({ length: n * h * w * cin }, () => rng.uniform(-1, 1));
      const f = Float32Array.from({ length: k * k * cin * cout }, () => rng.uniform(-1, 1));
      const expected = convGrads("cpu", x, [n, h, w, cin], f, [k, k, cin, cout], stride, pad);
      const actual = convGrads("wasm", x, [n, h, w, cin], f, [k, k, cin, cout], stride, pad);
      const what = `${set.name} ${JSON.stringify({ k, stride, pad, n, cin, cout, h, w })}`;
      assert.ok(relativeError(expected[0], actual[0]) < 1e-4, `input gradient ${what}`);
      assert.ok(relativeError(expected[1], actual[1]) < 1e-4, `filter gradient ${what}`);
    }
  });
  tf.setBackend("wasm");
});

Deno.test("the whole seed network's gradients on one batch match the cpu backend's, for each kernel set", async () => {
  await selectBackend("wasm", { log: () => {} });
  const values = initialParamArrays(SEED_MODEL, new Rng(1));
  const rng = new Rng(2);
  const count = 2;
  const left = Float32Array.from({ length: count * 1024 }, () => rng.nextFloat());
  const right = Float32Array.from({ length: count * 1024 }, () => rng.nextFloat());
  const gradients = (backend: string) => {
    tf.setBackend(backend);
    const params = new ModelParams(SEED_MODEL, values);
    const trainable = params.trainable();
    const updates = {
      left: [] as StateUpdates,
      right: [] as StateUpdates,
      head: [] as StateUpdates,
    };
    const { grads } = tf.variableGrads(() => {
      const z = forwardPairs(
        SEED_MODEL,
        params.tensors(),
        tf.tensor4d(left, [count, 32, 32, 1]),
        tf.tensor4d(right, [count, 32, 32, 1]),
        pairTrainingContexts({ seed: 5, epoch: 1, batch: 0 }, updates),
      );
      return tf.losses.sigmoidCrossEntropy(tf.tensor2d([1, 0], [2, 1]), z) as tf.Scalar;
    }, [...trainable.values()]);
    const out = new Map(
      [...trainable].map(([name, v]) => [name, grads[v.name].dataSync().slice()]),
    );
    tf.dispose([
      ...Object.values(grads),
      ...[...updates.left, ...updates.right, ...updates.head].map((u) => u.value),
    ]);
    params.dispose();
    return out;
  };
  const expected = gradients("cpu");
  let globalScale = 0;
  for (const g of expected.values()) {
    g.forEach((v) => globalScale = Math.max(globalScale, Math.abs(v)));
  }
  forEachKernelSet((set) => {
    const actual = gradients("wasm");
    for (const [name, g] of expected) {
      const a = actual.get(name)!;
      let scale = 0, diff = 0;
      g.forEach((v, i) => {
        scale = Math.max(scale, Math.abs(v));
        diff = Math.max(diff, Math.abs(v - a[i]));
      });
      // embed/bias and hidden/bias feed batch norm, so their true gradient is 0 and both
      // backends return rounding noise: a floor relative to the network's largest gradient keeps
      // that from failing the test.
      assert.ok(
        diff <= 1e-4 * scale + 1e-5 * globalScale,
        `${set.name}: gradient of ${name}: max difference ${diff}, scale ${scale}`,
      );
    }
  });
});
