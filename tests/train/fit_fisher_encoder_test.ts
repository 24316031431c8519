import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import {
  localDescriptors,
  logLikelihoodWeights,
  mixturePosteriors,
  withSquares,
} from "../../lib/model/fisher_vectors.ts";
import { fitFisherEncoder, posteriorMoments } from "../../lib/train/fit_fisher_encoder.ts";
import { Rng } from "../../lib/util/rng.ts";

/**
 * Faces of two kinds: a horizontal ramp in the top half (plain bottom), or a vertical ramp in the
 * bottom half (plain top), with a little noise: their local descriptors form clusters by place
 * and orientation that a mixture should find.
 */
function twoKindsOfFaces(n: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const values: number[] = [];
  for (let f = 0; f < n; f++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const top = y < size / 2;
        const v = f % 2 === 0 ? (top ? x / size : 0.5) : (top ? 0.5 : y / size);
        values.push(v + 0.01 * rng.nextFloat());
      }
    }
  }
  return tf.tensor4d(values, [n, size, size, 1]);
}

const OPTIONS = {
  cell: 2,
  step: 4,
  scales: [1, 0.5],
  components: 8,
  gaussians: 4,
  iterations: 15,
  descriptors: 2000,
  seed: 42,
};

Deno.test("Fisher encoder fit: an orthonormal SIFT basis, a proper mixture, the same for the same seed", async () => {
  await selectBackend("wasm", { log: () => {} });
  const faces = twoKindsOfFaces(40, 32, 1);
  const fit = () => fitFisherEncoder((start, count) => faces.slice(start, count), 40, OPTIONS);
  const encoder = await fit();
  const k = OPTIONS.components, g = OPTIONS.gaussians;
  assert.equal(encoder.siftMean.length, 128);
  assert.equal(encoder.siftBasis.length, 128 * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let dot = 0;
      for (let r = 0; r < 128; r++) {
        dot += encoder.siftBasis[r * k + a] * encoder.siftBasis[r * k + b];
      }
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-4, `basis columns ${a}, ${b}: ${dot}`);
    }
  }
  assert.equal(encoder.means.length, g * (k + 2));
  assert.ok(Math.abs(encoder.weights.reduce((s, w) => s + w, 0) - 1) < 1e-4);
  assert.ok(encoder.variances.every((v) => v > 0 && Number.isFinite(v)));
  assert.ok(encoder.means.every(Number.isFinite));
  // The SIFT mean is the mean of the faces' descriptors (a sample of them: close to it).
  const parts = localDescriptors(faces, OPTIONS);
  const all = tf.concat(parts.map((p) => tf.reshape(p.sift, [-1, 128])), 0);
  const mean = tf.mean(all, 0).dataSync();
  for (let i = 0; i < 128; i++) assert.ok(Math.abs(mean[i] - encoder.siftMean[i]) < 0.02);
  tf.dispose([all, ...parts.flatMap((p) => [p.sift, p.positions])]);
  // Seeded: the same sample, start and result.
  assert.deepEqual(await fit(), encoder);
  faces.dispose();
});

Deno.test("Fisher encoder fit: the mixture's Gaussians sit where the descriptors are (positions of both kinds' ramps)", async () => {
  await selectBackend("wasm", { log: () => {} });
  const faces = twoKindsOfFaces(40, 32, 2);
  const encoder = await fitFisherEncoder(
    (start, count) => faces.slice(start, count),
    40,
    OPTIONS,
  );
  // The last two values of each mean are its position: x, then y.
  const k = OPTIONS.components;
  const ys = Array.from(
    { length: OPTIONS.gaussians },
    (_, j) => encoder.means[j * (k + 2) + k + 1],
  );
  // Both halves of the face hold Gaussians with weight.
  const heavy = ys.filter((_, j) => encoder.weights[j] > 0.05);
  assert.ok(heavy.some((y) => y < 0) && heavy.some((y) => y > 0), `Gaussians' y: ${ys}`);
  faces.dispose();
});

Deno.test("Fisher encoder fit: the expectation step's sums by blocks of rows equal those over all rows at once", async () => {
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(7);
  const rows = 50, dims = 3, gaussians = 4;
  const x = tf.tensor2d(Array.from({ length: rows * dims }, () => rng.nextFloat() * 4 - 2), [
    rows,
    dims,
  ]);
  const mixture = {
    means: tf.tensor2d(Array.from({ length: gaussians * dims }, () => rng.nextFloat() * 2 - 1), [
      gaussians,
      dims,
    ]),
    variances: tf.tensor2d(Array.from({ length: gaussians * dims }, () => 0.5 + rng.nextFloat()), [
      gaussians,
      dims,
    ]),
    weights: tf.tensor1d([0.1, 0.2, 0.3, 0.4]),
  };
  const before = tf.memory().numTensors;
  // Every sum by its definition: a loop over rows of the posteriors computed all at once.
  const posteriorTensor = tf.tidy(() =>
    mixturePosteriors(withSquares(x), logLikelihoodWeights(mixture))
  );
  const posteriors = posteriorTensor.arraySync();
  posteriorTensor.dispose();
  const values = x.arraySync();
  const mass = new Array(gaussians).fill(0);
  const first = Array.from({ length: gaussians }, () => new Array(dims).fill(0));
  const second = Array.from({ length: gaussians }, () => new Array(dims).fill(0));
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < gaussians; k++) {
      mass[k] += posteriors[r][k];
      for (let d = 0; d < dims; d++) {
        first[k][d] += posteriors[r][k] * values[r][d];
        second[k][d] += posteriors[r][k] * values[r][d] ** 2;
      }
    }
  }
  // 7 does not divide 50: the last block is short.
  for (const blockRows of [7, 50, 1000]) {
    const sums = posteriorMoments(x, mixture, blockRows);
    const close = (got: number[], want: number[]) =>
      got.forEach((g, i) =>
        assert.ok(Math.abs(g - want[i]) < 1e-4, `block ${blockRows}: ${g} != ${want[i]}`)
      );
    close(Array.from(sums.mass.dataSync()), mass);
    close(Array.from(sums.first.dataSync()), first.flat());
    close(Array.from(sums.second.dataSync()), second.flat());
    tf.dispose([sums.mass, sums.first, sums.second]);
  }
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.throws(() => posteriorMoments(x, mixture, 0), /block of 0 rows/);
  tf.dispose([x, mixture.means, mixture.variances, mixture.weights]);
});

Deno.test("Fisher encoder fit shows its sampling over the faces and its iterations", async () => {
  await selectBackend("wasm", { log: () => {} });
  const faces = twoKindsOfFaces(40, 32, 1);
  const seen: string[] = [];
  const progress = (label: string, total: number, unit: string) => {
    let done = 0;
    return {
      advance: (n = 1) => void (done += n),
      finish: () => void seen.push(`${label}: ${done}/${total} ${unit}`),
    };
  };
  await fitFisherEncoder((start, count) => faces.slice(start, count), 40, {
    ...OPTIONS,
    progress,
  });
  assert.equal(seen.length, 2);
  assert.equal(seen[0], "encoder: sampling descriptors: 40/40 faces");
  assert.match(seen[1], /^encoder: 4 Gaussians on \d+ descriptors: 15\/15 iterations$/);
  tf.dispose(faces);
});
