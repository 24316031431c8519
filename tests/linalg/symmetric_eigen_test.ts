import assert from "node:assert/strict";
import {
  fromEigen,
  inverseAndLogDet,
  matrixFunction,
  sortedEigen,
  symmetricEigen,
  symmetricEigenQl,
  symmetrized,
} from "../../lib/linalg/symmetric_eigen.ts";
import { multiply } from "../../lib/linalg/dense.ts";
import { Rng } from "../../lib/util/rng.ts";

/** A random symmetric positive definite n x n matrix: B B^T + n I / 10. */
function spd(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const b = Float64Array.from({ length: n * n }, () => rng.uniform(-1, 1));
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) m[i * n + j] += b[i * n + k] * b[j * n + k];
      if (i === j) m[i * n + j] += n / 10;
    }
  }
  return m;
}

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tolerance, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

/** The solver used here (LAPACK's where OpenBLAS is available) and the JavaScript one. */
const SOLVERS = [["symmetricEigen", symmetricEigen], [
  "symmetricEigenQl",
  symmetricEigenQl,
]] as const;

/** Checks V diag(values) V^T = m and V^T V = I for both solvers, entry by entry, by loops. */
function assertDecomposes(m: Float64Array, n: number, tolerance: number, what: string) {
  for (const [name, solve] of SOLVERS) {
    assertSolverDecomposes(solve, m, n, tolerance, `${name}: ${what}`);
  }
}

function assertSolverDecomposes(
  solve: typeof symmetricEigen,
  m: Float64Array,
  n: number,
  tolerance: number,
  what: string,
) {
  const { values, vectors } = solve(m, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let a = 0, dot = 0;
      for (let k = 0; k < n; k++) {
        a += vectors[i * n + k] * values[k] * vectors[j * n + k];
        dot += vectors[k * n + i] * vectors[k * n + j];
      }
      assert.ok(Math.abs(a - m[i * n + j]) < tolerance, `${what}: A[${i}][${j}]`);
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < tolerance, `${what}: V^T V [${i}][${j}]`);
    }
  }
}

Deno.test("symmetric eigen-decomposition reconstructs the matrix with orthonormal vectors", () => {
  const n = 5, rng = new Rng(3);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) m[i * n + j] = m[j * n + i] = rng.uniform(-1, 1);
  }
  assertDecomposes(m, n, 1e-9, "random 5 x 5");
});

Deno.test("symmetric eigen-decomposition of special and larger matrices", () => {
  assertDecomposes(Float64Array.of(3), 1, 1e-12, "1 x 1");
  for (const [, solve] of SOLVERS) {
    assert.deepEqual([...solve(Float64Array.of(3), 1).values], [3]);
    assert.deepEqual(solve(new Float64Array(0), 0).values.length, 0);
  }
  // Diagonal, repeated values (the identity), zeros, a rank-one matrix.
  const n = 6;
  const diagonal = new Float64Array(n * n), identity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) diagonal[i * n + i] = i - 2, identity[i * n + i] = 1;
  assertDecomposes(diagonal, n, 1e-12, "diagonal");
  for (const [, solve] of SOLVERS) {
    assert.deepEqual([...solve(diagonal, n).values].sort((a, b) => a - b), [-2, -1, 0, 1, 2, 3]);
  }
  assertDecomposes(identity, n, 1e-12, "identity");
  assertDecomposes(new Float64Array(n * n), n, 1e-12, "zeros");
  const u = Float64Array.from({ length: n }, (_, i) => i + 1);
  const rankOne = Float64Array.from({ length: n * n }, (_, k) => u[Math.floor(k / n)] * u[k % n]);
  assertDecomposes(rankOne, n, 1e-10, "rank one");
  // The size of LDA's scatter matrices, less a third (the check by loops is O(n^3)).
  assertDecomposes(spd(120, 11), 120, 1e-8, "120 x 120 positive definite");
});

Deno.test("sorted eigenpairs: decreasing values, M v = value v", () => {
  const n = 6, m = spd(n, 4);
  const { values, vectors } = sortedEigen(m, n);
  for (let k = 1; k < n; k++) assert.ok(values[k - 1] >= values[k]);
  for (let k = 0; k < n; k++) {
    near(multiply(m, vectors[k], n, n, 1), vectors[k].map((x) => x * values[k]), 1e-9, `M v${k}`);
  }
});

Deno.test("a matrix's function: the inverse square root whitens, the inverse inverts", () => {
  const n = 7, m = spd(n, 5);
  const identity = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
  const root = matrixFunction(m, n, (v) => 1 / Math.sqrt(v));
  near(multiply(root, multiply(m, root, n, n, n), n, n, n), identity, 1e-9, "W M W");
  const { inverse, logDet } = inverseAndLogDet(m, n);
  near(multiply(m, inverse, n, n, n), identity, 1e-9, "M M^-1");
  // The log-determinant against the product of a Cholesky factor's diagonal.
  const l = new Float64Array(n * n);
  let expected = 0;
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) {
      let sum = m[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(sum) : sum / l[j * n + j];
    }
    expected += 2 * Math.log(l[j * n + j]);
  }
  assert.ok(Math.abs(logDet - expected) < 1e-9, `${logDet} vs ${expected}`);
  // The identity function gives the matrix back; a singular matrix stays finite.
  near(fromEigen(symmetricEigen(m, n), n, (v) => v), m, 1e-9, "V L V^T");
  const singular = Float64Array.of(1, 1, 1, 1);
  const s = inverseAndLogDet(singular, 2);
  assert.ok(s.inverse.every(Number.isFinite) && Number.isFinite(s.logDet));
});

Deno.test("symmetrized: (M + M^T) / 2", () => {
  assert.deepEqual([...symmetrized([1, 2, 4, 3], 2)], [1, 3, 3, 3]);
});
