import assert from "node:assert/strict";
import {
  covarianceOfMeans,
  rowsByPerson,
  withinPersonCovariance,
} from "../../lib/linalg/person_covariance.ts";

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

Deno.test("rows by person, in order of first appearance", () => {
  assert.deepEqual(rowsByPerson([7, 3, 7, 9, 3]), [[0, 2], [1, 4], [3]]);
});
