import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import {
  EXACT_FEATURES,
  fitPca,
  fitTransformPca,
  pcaBlockRows,
  pcaTransform,
} from "../../lib/fit/pca.ts";
import { sortedEigen } from "../../lib/linalg/symmetric_eigen.ts";
import { Rng } from "../../lib/util/rng.ts";

/** n rows of `features` values whose variance falls off along `features` hidden directions. */
function rowsWithSpectrum(n: number, features: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const rows = new Float32Array(n * features);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < features; f++) {
      rows[i * features + f] = 3 + f / 10 + rng.normal() * 8 / (1 + f) ** 0.7;
    }
  }
  return rows;
}

/** The covariance's leading eigenpairs, by loops in float64 (the reference). */
function reference(rows: Float32Array, features: number, k: number) {
  const n = rows.length / features;
  const mean = new Float64Array(features);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < features; f++) mean[f] += rows[i * features + f] / n;
  }
  const c = new Float64Array(features * features);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < features; r++) {
      const dr = rows[i * features + r] - mean[r];
      for (let s = 0; s < features; s++) {
        c[r * features + s] += dr * (rows[i * features + s] - mean[s]) / n;
      }
    }
  }
  const { values, vectors } = sortedEigen(c, features);
  return { mean, values: values.slice(0, k), vectors: vectors.slice(0, k) };
}

Deno.test("PCA: the mean and the leading components and variances of the covariance, exact and by subspace iteration, whole or block by block", async () => {
  await selectBackend("wasm", { log: () => {} });
  // Exact (40 features), subspace iteration through the formed covariance (600 rows) and through
  // the data (fewer rows than half the features).
  for (const [n, features] of [[300, 40], [600, EXACT_FEATURES + 24], [120, EXACT_FEATURES + 44]]) {
    const rows = rowsWithSpectrum(n, features, 5);
    const k = 6;
    const ref = reference(rows, features, k);
    for (const blockRows of [1024, 37]) {
      const pca = fitPca(rows, features, { components: k, whiten: false, blockRows });
      assert.equal(pca.components, k);
      for (let f = 0; f < features; f++) {
        assert.ok(Math.abs(pca.mean[f] - ref.mean[f]) < 1e-4, `mean ${f}`);
      }
      for (let c = 0; c < k; c++) {
        const relative = Math.abs(pca.variances[c] - ref.values[c]) / ref.values[c];
        assert.ok(
          relative < 1e-3,
          `${features} features, variance ${c}: ${pca.variances[c]} vs ${ref.values[c]}`,
        );
        // The same direction up to sign.
        let dot = 0;
        for (let f = 0; f < features; f++) dot += pca.basis[f * k + c] * ref.vectors[c][f];
        assert.ok(
          Math.abs(Math.abs(dot) - 1) < 1e-3,
          `${features} features, component ${c}: |cos| ${dot}`,
        );
      }
    }
  }
});

Deno.test("PCA: whitened components of the training rows have unit variance and no correlation; transform centres first", async () => {
  await selectBackend("wasm", { log: () => {} });
  const features = 30, n = 400, k = 5;
  const rows = rowsWithSpectrum(n, features, 8);
  const pca = fitPca(rows, features, { components: k, whiten: true });
  const y = pcaTransform(pca, rows);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let sum = 0, meanA = 0;
      for (let i = 0; i < n; i++) sum += y[i * k + a] * y[i * k + b] / n, meanA += y[i * k + a] / n;
      assert.ok(Math.abs(meanA) < 1e-3, `mean of component ${a}`);
      assert.ok(Math.abs(sum - (a === b ? 1 : 0)) < 1e-3, `cov[${a}][${b}] ${sum}`);
    }
  }
  // Rows fewer than the components asked: at most n - 1 are kept.
  assert.equal(
    fitPca(rows.subarray(0, 4 * features), features, { components: 10, whiten: false }).components,
    3,
  );
});

Deno.test("fitTransformPca: the fitted state of fitPca and the rows' components of pcaTransform, on every path, whitened or not", async () => {
  await selectBackend("wasm", { log: () => {} });
  // Exact, through the formed covariance, and through the data (the components from its last
  // pass, blocks of 37 rows so that they are put together from several).
  for (const [n, features] of [[300, 40], [600, EXACT_FEATURES + 24], [120, EXACT_FEATURES + 44]]) {
    const rows = rowsWithSpectrum(n, features, 6);
    for (const whiten of [false, true]) {
      const options = { components: 6, whiten, blockRows: 37 };
      const { state, components } = fitTransformPca(rows, features, options);
      const alone = fitPca(rows, features, options);
      assert.deepEqual([...state.basis], [...alone.basis], `${n} x ${features}: the same fit`);
      const expected = pcaTransform(state, rows);
      assert.equal(components.length, n * 6);
      let worst = 0, scale = 0;
      for (let i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(components[i] - expected[i]));
        scale = Math.max(scale, Math.abs(expected[i]));
      }
      assert.ok(worst / scale < 1e-4, `${n} x ${features}, whiten ${whiten}: ${worst / scale}`);
    }
  }
});

Deno.test("pcaBlockRows: 1,024 rows of short rows; of long ones, at most 128 MB a block, one row at least", () => {
  assert.equal(pcaBlockRows(400), 1024);
  assert.equal(pcaBlockRows(32 * 1024), 1024);
  // Fisher vectors of 512 and 1,024 Gaussians (2 x 66 values each).
  assert.equal(pcaBlockRows(67_584), 496);
  assert.equal(pcaBlockRows(135_168), 248);
  assert.ok(pcaBlockRows(135_168) * 135_168 * 4 <= 128 * 1024 * 1024);
  assert.equal(pcaBlockRows(1e9), 1);
});

Deno.test("PCA by subspace iteration holds no more than a step's matrices in the backend, however many steps", async () => {
  await selectBackend("wasm", { log: () => {} });
  // Through the data (fewer rows than half the features): each pass multiplies every block by
  // a features x width basis. Before each step freed its products, a pass held two such
  // matrices for every earlier step (3.9 GB at 1,200 components of Fisher vectors).
  const n = 100, features = 3000, components = 40, blockRows = 25;
  const rows = rowsWithSpectrum(n, features, 8);
  const width = Math.min(components + 32, n - 1);
  const basisBytes = features * width * 4;
  const before = tf.memory().numBytes;
  let peak = 0;
  const progress = () => ({
    advance() {
      peak = Math.max(peak, tf.memory().numBytes - before);
    },
    finish() {},
  });
  fitPca(rows, features, { components, whiten: true, blockRows, progress });
  // A step: the basis, the average it makes and the sum of blocks; a block, its centred copy
  // and their products with the basis are small beside them.
  const blockBytes = blockRows * features * 4;
  const bound = 4 * basisBytes + 4 * blockBytes;
  assert.ok(peak > basisBytes, `the pass is watched (${peak} bytes)`);
  assert.ok(peak <= bound, `${peak} bytes at most in the backend, not more than ${bound}`);
  assert.equal(tf.memory().numBytes, before, "nothing is left in the backend");
});
