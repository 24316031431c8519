import assert from "node:assert/strict";
import { multiplyInJs } from "../../lib/linalg/dense.ts";
import { openBlas } from "../../lib/linalg/openblas.ts";
import { gramInJs } from "../../lib/linalg/person_covariance.ts";
import { fromEigen, scaledGramInJs, symmetricEigenQl } from "../../lib/linalg/symmetric_eigen.ts";
import { Rng } from "../../lib/util/rng.ts";
import { needs } from "../helpers/tiers.ts";

// OpenBLAS comes with the native kernels (the full tier requires them); without it the
// JavaScript routines, tested by the other linalg tests, do the work.
const ignore = needs("native");
const rng = new Rng(21);
const random = (length: number) => Float64Array.from({ length }, () => rng.uniform(-1, 1));

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tolerance, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

function transpose(m: Float64Array, rows: number, columns: number): Float64Array {
  return Float64Array.from(
    { length: m.length },
    (_, k) => m[(k % rows) * columns + Math.floor(k / rows)],
  );
}

Deno.test({
  name: "OpenBLAS multiply: (n x k) (k x m) and (n x k) (m x k)^T, as the JavaScript product",
  ignore,
  fn: () => {
    const blas = openBlas()!;
    assert.ok(blas, "OpenBLAS opens where the native kernels are built");
    const [n, k, m] = [37, 53, 29];
    const a = random(n * k), b = random(k * m);
    const expected = multiplyInJs(a, b, n, k, m);
    near(blas.multiply(a, b, n, k, m), expected, 1e-12, "a b");
    near(blas.multiply(a, transpose(b, k, m), n, k, m, true), expected, 1e-12, "a (b^T)^T");
    assert.deepEqual([...blas.multiply(a, new Float64Array(0), n, k, 0)], []);
    assert.deepEqual([...blas.multiply(new Float64Array(0), new Float64Array(0), 2, 0, 2)], [
      0,
      0,
      0,
      0,
    ]);
  },
});

Deno.test({
  name: "OpenBLAS gram: x^T x with both triangles, as the JavaScript loops",
  ignore,
  fn: () => {
    const blas = openBlas()!;
    const [rows, dim] = [101, 17];
    const x = random(rows * dim);
    near(blas.gram(x, rows, dim), gramInJs(x, rows, dim), 1e-11, "x^T x");
    assert.deepEqual([...blas.gram(new Float64Array(0), 0, 2)], [0, 0, 0, 0]);
  },
});

Deno.test({
  name: "LAPACK's eigen-decomposition: the QL solver's values, vectors up to sign, ascending",
  ignore,
  fn: () => {
    const blas = openBlas()!;
    const n = 40, b = random(n * n);
    const m = multiplyInJs(b, transpose(b, n, n), n, n, n); // symmetric, distinct values
    const lapack = blas.symmetricEigen(m, n), ql = symmetricEigenQl(m, n);
    const order = [...ql.values.keys()].sort((i, j) => ql.values[i] - ql.values[j]);
    near(lapack.values, order.map((i) => ql.values[i]), 1e-10, "values");
    for (let j = 0; j < n; j++) {
      const column = (v: Float64Array, c: number) =>
        Array.from({ length: n }, (_, r) => v[r * n + c]);
      const u = column(lapack.vectors, j), w = column(ql.vectors, order[j]);
      const sign = Math.sign(u.reduce((s, x, r) => s + x * w[r], 0));
      near(u, w.map((x) => x * sign), 1e-7, `vector ${j}`);
    }
  },
});

Deno.test({
  name: "a matrix's function V f(L) V^T: OpenBLAS's product equals the JavaScript loops",
  ignore,
  fn: () => {
    const n = 23, b = random(n * n);
    const eigen = symmetricEigenQl(multiplyInJs(b, transpose(b, n, n), n, n, n), n);
    const f = (v: number) => 1 / Math.sqrt(v + 0.1);
    const scaled = eigen.vectors.map((x, i) => x * f(eigen.values[i % n]));
    near(fromEigen(eigen, n, f), scaledGramInJs(scaled, eigen.vectors, n), 1e-11, "V f(L) V^T");
  },
});

Deno.test({
  name: "OpenBLAS refuses buffers shorter than their sizes say (C would read past them)",
  ignore,
  fn: () => {
    const blas = openBlas()!;
    assert.throws(
      () => blas.multiply(random(5), random(6), 2, 3, 2),
      /multiply: a: 5 values where 6/,
    );
    assert.throws(() => blas.gram(random(5), 2, 3), /gram: x: 5 values where 6/);
    assert.throws(() => blas.symmetricEigen(random(8), 3), /matrix: 8 values where 9/);
  },
});

Deno.test("FACE_COMPARER_NATIVE=off leaves OpenBLAS closed (the JavaScript routines work)", async () => {
  const script = `import { openBlas } from ${
    JSON.stringify(new URL("../../lib/linalg/openblas.ts", import.meta.url).href)
  };
console.log(openBlas() === undefined);`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { FACE_COMPARER_NATIVE: "off" },
  }).output();
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "true");
});
