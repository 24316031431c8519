import assert from "node:assert/strict";
import { orthonormalizer } from "../../lib/linalg/cholesky_qr.ts";
import { multiply } from "../../lib/linalg/dense.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("orthonormalizer: Z M has orthonormal columns, even when their lengths differ by 1e6; a dependent column comes out as zeros", () => {
  const rows = 40, n = 4, rng = new Rng(2);
  const z = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < 3; c++) z[r * n + c] = rng.uniform(-1, 1) * 10 ** (2 * c);
    z[r * n + 3] = z[r * n + 0] + 2 * z[r * n + 1]; // depends on columns 0 and 1
  }
  const gram = multiply(transpose(z, rows, n), z, n, rows, n);
  const m = orthonormalizer(gram, n);
  const q = multiply(z, m, rows, n, n);
  const qtq = multiply(transpose(q, rows, n), q, n, rows, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const expected = i === j && i < 3 ? 1 : 0;
      assert.ok(Math.abs(qtq[i * n + j] - expected) < 1e-4, `Q^T Q [${i}][${j}] ${qtq[i * n + j]}`);
    }
  }
});

function transpose(a: Float64Array, rows: number, columns: number): Float64Array {
  const out = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = a[r * columns + c];
  }
  return out;
}
