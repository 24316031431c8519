import assert from "node:assert/strict";
import {
  covarianceOfMeans,
  fitWccn,
  project,
  projectedCosine,
  symmetricEigen,
  withinPersonCovariance,
} from "../../lib/evaluate/embedding_projection.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("symmetric eigen-decomposition reconstructs the matrix with orthonormal vectors", () => {
  const n = 5, rng = new Rng(3);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) m[i * n + j] = m[j * n + i] = rng.uniform(-1, 1);
  }
  const { values, vectors } = symmetricEigen(m, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let a = 0, dot = 0;
      for (let k = 0; k < n; k++) {
        a += vectors[i * n + k] * values[k] * vectors[j * n + k];
        dot += vectors[k * n + i] * vectors[k * n + j];
      }
      assert.ok(Math.abs(a - m[i * n + j]) < 1e-9, `A[${i}][${j}]`);
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-9, `V^T V [${i}][${j}]`);
    }
  }
});

Deno.test("WCCN shrinks the directions one person varies in: same-person cosines rise", () => {
  // 40 people in 6 dimensions; each person's images vary strongly along axis 0 only.
  const dim = 6, rng = new Rng(9);
  const rows: number[][] = [], people: number[] = [];
  for (let p = 0; p < 40; p++) {
    const centre = Array.from({ length: dim }, () => rng.normal());
    for (let k = 0; k < 4; k++) {
      rows.push(centre.map((c, d) => c + (d === 0 ? 3 * rng.normal() : 0.05 * rng.normal())));
      people.push(p);
    }
  }
  const embeddings = Float32Array.from(rows.flat());
  const wccn = fitWccn(embeddings, people, dim, { lambda: 1e-3 });
  assert.equal(wccn.people, 40);
  assert.equal(wccn.images, 160);
  const row = (i: number) => embeddings.subarray(i * dim, (i + 1) * dim);
  const plainCos = (a: Float32Array, b: Float32Array) => {
    let ab = 0, aa = 0, bb = 0;
    for (let k = 0; k < dim; k++) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    return ab / Math.sqrt(aa * bb);
  };
  let samePlain = 0, sameProjected = 0, pairs = 0;
  for (let p = 0; p < 40; p++) {
    samePlain += plainCos(row(4 * p), row(4 * p + 1));
    sameProjected += projectedCosine(wccn, row(4 * p), row(4 * p + 1));
    pairs++;
  }
  assert.ok(
    sameProjected / pairs > samePlain / pairs + 0.1,
    `${sameProjected / pairs} vs ${samePlain / pairs}`,
  );
  // Projections have unit length.
  const v = project(wccn, row(0));
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-9);
});

Deno.test("person covariances: within-person around each person's mean, between of the means", () => {
  // Person 0: rows (1, 0), (3, 2); person 1: rows (0, 4), (0, 0), (0, 2); person 2: one row.
  const rows = [[1, 0], [3, 2], [0, 4], [0, 0], [0, 2], [9, 9]];
  const groups = [[0, 1], [2, 3, 4], [5]];
  const { covariance, means, rows: counted } = withinPersonCovariance((i) => rows[i], 2, groups);
  assert.equal(counted, 5, "the person with one image is left out");
  assert.deepEqual(means.map((m) => [...m]), [[2, 1], [0, 2]]);
  // Offsets: (-1, -1), (1, 1), (0, 2), (0, -2), (0, 0).
  assert.deepEqual([...covariance], [2 / 5, 2 / 5, 2 / 5, 10 / 5]);
  // Means (2, 1) and (0, 2) around (1, 1.5): offsets (+-1, -+0.5).
  const near = (a: Float64Array, b: number[]) =>
    a.every((x, i) => Math.abs(x - b[i]) < 1e-12) || assert.fail(`${[...a]} vs ${b}`);
  near(covarianceOfMeans(means, 2, 0), [1, -0.5, -0.5, 0.25]);
  near(covarianceOfMeans(means, 2, 1), [2, -1, -1, 0.5]);
});
