import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { leakyReluBiasGrad } from "../../lib/backend/wasm_leaky_relu_grad.ts";
import { convLeakyRelu } from "../../lib/model/conv_leaky_relu.ts";
import { Rng } from "../../lib/util/rng.ts";

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const rng = new Rng(21);
const random = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.uniform(-1, 1)),
    shape,
  );

Deno.test("the transpose-first BatchMatMul equals the cpu backend for every transpose flag", async () => {
  await selectBackend("wasm", { log: () => {} });
  const a = random([3, 5, 7]),
    b = random([3, 7, 4]),
    at = random([3, 7, 5]),
    bt = random([3, 4, 7]);
  for (
    const [x, y, ta, tb] of [[a, b, false, false], [at, b, true, false], [a, bt, false, true], [
      at,
      bt,
      true,
      true,
    ]] as const
  ) {
    tf.setBackend("cpu");
    const expected = tf.matMul(x, y, ta, tb).dataSync();
    tf.setBackend("wasm");
    assert.ok(
      maxDiff(expected, tf.matMul(x, y, ta, tb).dataSync()) < 1e-5,
      `transposeA ${ta}, transposeB ${tb}`,
    );
  }
});

Deno.test("the one-pass leaky-ReLU and bias gradient equals the composite", async () => {
  await selectBackend("wasm", { log: () => {} });
  const dy = random([2, 3, 3, 5]), y = random([2, 3, 3, 5]);
  const [dz, db] = leakyReluBiasGrad(dy, y, { alpha: 0.33 });
  const expected = tf.where(tf.greater(y, 0), dy, tf.mul(dy, 0.33));
  assert.ok(maxDiff(dz.dataSync(), expected.dataSync()) < 1e-7);
  assert.ok(maxDiff(db.dataSync(), tf.sum(expected, [0, 1, 2]).dataSync()) < 1e-5);
});

Deno.test("the conv + bias + leaky-ReLU layer's gradients equal plain autodiff", async () => {
  await selectBackend("wasm", { log: () => {} });
  const x = random([2, 9, 9, 3]), w = random([5, 5, 3, 4]), b = random([4]);
  for (const [strides, pad] of [[1, "valid"], [2, "same"]] as const) {
    const loss = (custom: boolean) => (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => {
      const y = custom
        ? convLeakyRelu(xs as tf.Tensor4D, { filter: ws as tf.Tensor4D, bias: bs }, {
          strides,
          pad,
          alpha: 0.33,
          inputGradient: true,
        })
        : tf.leakyRelu(
          tf.add(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, strides, pad), bs),
          0.33,
        );
      return tf.sum(tf.mul(y, y));
    };
    const custom = tf.grads(loss(true))([x, w, b]);
    const plain = tf.grads(loss(false))([x, w, b]);
    custom.forEach((g, i) =>
      assert.ok(maxDiff(g.dataSync(), plain[i].dataSync()) < 1e-3, `${strides}/${pad} input ${i}`)
    );
  }
  const [dx] = tf.grads((xs: tf.Tensor) =>
    tf.sum(
      convLeakyRelu(xs as tf.Tensor4D, { filter: w as tf.Tensor4D, bias: b }, {
        strides: 1,
        pad: "valid",
        alpha: 0.33,
        inputGradient: false,
      }),
    )
  )([x]);
  assert.ok(dx.dataSync().every((v) => v === 0), "no input gradient for data");
});
