import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { Adam, ADAM_DEFAULTS } from "../../lib/train/adam.ts";

Deno.test("Adam's first step moves each weight by the learning rate against its gradient's sign", async () => {
  await selectBackend("wasm", { log: () => {} });
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  const adam = new Adam();
  adam.apply(new Map([["w", w]]), new Map([["w", tf.tensor1d([0.5, -4, 0])]]));
  const values = w.dataSync();
  // m = 0.1 g, v = 0.001 g^2, bias-corrected: lr * g / (|g| + eps') = lr * sign(g).
  assert.ok(Math.abs(values[0] - (1 - ADAM_DEFAULTS.learningRate)) < 1e-6);
  assert.ok(Math.abs(values[1] - (-2 + ADAM_DEFAULTS.learningRate)) < 1e-6);
  assert.equal(values[2], 3);
  adam.dispose();
  w.dispose();
});

Deno.test("a saved and restored Adam continues exactly as the original", async () => {
  await selectBackend("wasm", { log: () => {} });
  const grads = [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.1]].map((g) => tf.tensor1d(g));
  const run = (interrupt: boolean) => {
    const w = tf.variable(tf.tensor1d([0.5, 0.5]));
    let adam = new Adam();
    for (let i = 0; i < 3; i++) {
      if (interrupt && i === 2) {
        const state = adam.state();
        adam.dispose();
        adam = new Adam();
        adam.load(state, new Map([["w", [2]]]));
      }
      adam.apply(new Map([["w", w]]), new Map([["w", grads[i]]]));
    }
    const out = [...w.dataSync()];
    adam.dispose();
    w.dispose();
    return out;
  };
  assert.deepEqual(run(true), run(false));
});

Deno.test("decoupled weight decay shrinks matrices before the step, not vectors; the schedule scale applies", async () => {
  await selectBackend("wasm", { log: () => {} });
  const matrix = tf.variable(tf.tensor2d([[2, -4]]));
  const bias = tf.variable(tf.tensor1d([2]));
  const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.1, weightDecay: 0.5 });
  const zero = (shape: number[]) => tf.zeros(shape);
  adam.apply(
    new Map<string, tf.Variable>([["m", matrix], ["b", bias]]),
    new Map([["m", zero([1, 2])], ["b", zero([1])]]),
    0.5,
  );
  // Zero gradients: Adam itself moves nothing; the decay factor is 1 - 0.1 * 0.5 * 0.5.
  const factor = 1 - 0.1 * 0.5 * 0.5;
  const [a, b] = matrix.dataSync();
  assert.ok(Math.abs(a - 2 * factor) < 1e-6 && Math.abs(b + 4 * factor) < 1e-6);
  assert.equal(bias.dataSync()[0], 2);
  adam.dispose();
  tf.dispose([matrix, bias]);
});
