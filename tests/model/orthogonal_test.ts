import assert from "node:assert/strict";
import { orthogonalMatrix } from "../../lib/model/orthogonal.ts";
import { Rng } from "../../lib/util/rng.ts";

/** Max |G - gain^2 I| of the Gram matrix of columns (or rows). */
function gramError(
  m: Float32Array,
  rows: number,
  cols: number,
  byColumns: boolean,
  gain: number,
): number {
  const k = byColumns ? cols : rows;
  const len = byColumns ? rows : cols;
  const at = (vec: number, t: number) => (byColumns ? m[t * cols + vec] : m[vec * cols + t]);
  let worst = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let t = 0; t < len; t++) dot += at(i, t) * at(j, t);
      worst = Math.max(worst, Math.abs(dot - (i === j ? gain * gain : 0)));
    }
  }
  return worst;
}

Deno.test("tall matrices get orthonormal columns, wide ones orthonormal rows", () => {
  const tall = orthogonalMatrix([300, 40], new Rng(1));
  assert.ok(gramError(tall, 300, 40, true, 1) < 1e-5);
  const wide = orthogonalMatrix([20, 90], new Rng(2), { gain: 1.5 });
  assert.ok(gramError(wide, 20, 90, false, 1.5) < 1e-5);
});

Deno.test("the seed model's largest matrix (2048x512) is orthogonal and deterministic", () => {
  const a = orthogonalMatrix([2048, 512], new Rng(3));
  let dot = 0, norm = 0;
  for (let t = 0; t < 2048; t++) {
    dot += a[t * 512] * a[t * 512 + 511];
    norm += a[t * 512 + 7] ** 2;
  }
  assert.ok(Math.abs(dot) < 1e-5 && Math.abs(norm - 1) < 1e-5);
  assert.deepEqual(orthogonalMatrix([2048, 512], new Rng(3)).subarray(0, 64), a.subarray(0, 64));
});
