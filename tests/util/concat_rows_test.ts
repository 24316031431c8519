import assert from "node:assert/strict";
import { concatRows } from "../../lib/util/concat_rows.ts";

Deno.test("concatRows joins the parts in order; no parts give an empty array", () => {
  assert.deepEqual(
    concatRows([Float32Array.of(1, 2), new Float32Array(0), Float32Array.of(3)]),
    Float32Array.of(1, 2, 3),
  );
  assert.equal(concatRows([]).length, 0);
});
