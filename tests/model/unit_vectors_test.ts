import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { unitVectors } from "../../lib/model/unit_vectors.ts";

Deno.test("unitVectors scales rows or columns to length 1 and leaves a zero vector at 0", async () => {
  await selectBackend("cpu", { log: () => {} });
  const x = tf.tensor2d([[3, 4], [0, 0]]);
  const rows = unitVectors(x, 1).arraySync();
  assert.deepEqual(rows[1], [0, 0]);
  assert.ok(Math.abs(rows[0][0] - 0.6) < 1e-6 && Math.abs(rows[0][1] - 0.8) < 1e-6);
  const columns = unitVectors(tf.tensor2d([[3, 1], [4, 0]]), 0).arraySync();
  assert.ok(Math.abs(columns[0][0] - 0.6) < 1e-6 && Math.abs(columns[1][0] - 0.8) < 1e-6);
  assert.ok(Math.abs(columns[0][1] - 1) < 1e-6 && columns[1][1] === 0);
});
