import assert from "node:assert/strict";
import { multiply } from "../../lib/linalg/dense.ts";

Deno.test("multiply: (n x k) (k x m), against the definition", () => {
  const a = [1, 2, 3, 4, 5, 6]; // 2 x 3
  const b = [7, 8, 9, 10, 11, 12]; // 3 x 2
  assert.deepEqual([...multiply(a, b, 2, 3, 2)], [58, 64, 139, 154]);
  assert.deepEqual([...multiply(b, a, 3, 2, 3)], [39, 54, 69, 49, 68, 87, 59, 82, 105]);
});
