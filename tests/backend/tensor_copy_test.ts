import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { copyTensorValues } from "../../lib/backend/tensor_copy.ts";

await selectBackend("wasm", { log: () => {} });

for (const backend of ["wasm", "cpu"]) {
  Deno.test(`copyTensorValues writes a tensor's values at an offset (${backend})`, () => {
    tf.setBackend(backend);
    const values = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const tensor = tf.tensor2d(values, [20, 15]);
    const target = new Float32Array(new SharedArrayBuffer(4 * 310)).fill(-7);
    copyTensorValues(tensor, target, { offset: 5 });
    assert.deepEqual([...target.subarray(0, 5)], [-7, -7, -7, -7, -7]);
    assert.deepEqual(target.subarray(5, 305), values);
    assert.deepEqual([...target.subarray(305)], [-7, -7, -7, -7, -7]);
    // A copy, not a view: changing the tensor later does not change the target.
    const doubled = tf.mul(tensor, 2);
    copyTensorValues(doubled, target);
    assert.deepEqual(target.subarray(0, 300), values.map((v) => 2 * v));
    // Exactly 300 values were written: the rest of the first copy is still there.
    assert.deepEqual(target.subarray(300, 305), values.subarray(295, 300));
    tf.dispose([tensor, doubled]);
  });
}

Deno.test("copyTensorValues rejects other dtypes and targets that are too small", () => {
  tf.setBackend("wasm");
  const ints = tf.tensor1d([1, 2, 3], "int32");
  const floats = tf.tensor1d([1, 2, 3]);
  assert.throws(() => copyTensorValues(ints, new Float32Array(3)), /float32/);
  assert.throws(() => copyTensorValues(floats, new Float32Array(4), { offset: 2 }), RangeError);
  assert.throws(() => copyTensorValues(floats, new Float32Array(4), { offset: -1 }), RangeError);
  tf.dispose([ints, floats]);
});
