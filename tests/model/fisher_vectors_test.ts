import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { FisherVectors } from "../../lib/model/custom_layers.ts";
import {
  encoderInputs,
  type FisherEncoder,
  fisherVectors,
  fisherVectorSize,
  localDescriptors,
  splitMoments,
  withSquares,
} from "../../lib/model/fisher_vectors.ts";
import { Rng } from "../../lib/util/rng.ts";

/** Faces [1, size, size, 1] whose value is `f(x, y)`. */
function face(size: number, f: (x: number, y: number) => number): tf.Tensor4D {
  const values: number[] = [];
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) values.push(f(x, y));
  return tf.tensor4d(values, [1, size, size, 1]);
}

Deno.test("dense root-SIFT of a ramp: all gradient mass in the ramp's orientation, equal in every cell away from the border", async () => {
  await selectBackend("wasm", { log: () => {} });
  const options = { cell: 3, step: 2, scales: [1] };
  for (
    const [ramp, bin] of [[(x: number) => x / 32, 0], [
      (_: number, y: number) => y / 32,
      2,
    ]] as const
  ) {
    tf.tidy(() => {
      const [part] = localDescriptors(face(32, ramp), options);
      // (32 - 12) / 2 + 1 = 11 places across.
      assert.deepEqual(part.sift.shape, [1, 121, 128]);
      assert.deepEqual(part.positions.shape, [121, 2]);
      const positions = part.positions.arraySync();
      assert.deepEqual(positions[0].map((v) => +v.toFixed(4)), [6 / 32 - 0.5, 6 / 32 - 0.5]);
      assert.deepEqual(positions[1].map((v) => +v.toFixed(4)), [8 / 32 - 0.5, 6 / 32 - 0.5]);
      const sift = part.sift.arraySync()[0];
      for (const [place, descriptor] of sift.entries()) {
        const [x, y] = [place % 11, Math.floor(place / 11)];
        for (const [i, v] of descriptor.entries()) {
          if (i % 8 !== bin) assert.ok(Math.abs(v) < 1e-6, `place ${place} value ${i}: ${v}`);
        }
        // Root-SIFT values square to 1 (L1-normalised before the root).
        const squares = descriptor.reduce((s, v) => s + v * v, 0);
        assert.ok(Math.abs(squares - 1) < 1e-4);
        // 16 equal cells (away from the border's one-sided gradient): 1 / 4 each.
        if (x > 0 && y > 0 && x < 10 && y < 10) {
          for (let c = 0; c < 16; c++) assert.ok(Math.abs(descriptor[c * 8 + bin] - 0.25) < 1e-4);
        }
      }
    });
  }
});

/**
 * Root-SIFT of one image [size][size] at place (left, top) by its definition: central-difference
 * gradients (the border pixel repeated), each voting into its two nearest of 8 orientations, the
 * means of 4 x 4 cells of `cell` pixels (value (4 cy + cx) 8 + o), then L2 unit length, clipped at
 * 0.2, L1 unit length, square root.
 */
function siftByLoops(image: number[][], cell: number, left: number, top: number): number[] {
  const size = image.length;
  const at = (x: number, y: number) =>
    image[Math.min(size - 1, Math.max(0, y))][Math.min(size - 1, Math.max(0, x))];
  const values = new Array(128).fill(0);
  for (let cy = 0; cy < 4; cy++) {
    for (let cx = 0; cx < 4; cx++) {
      for (let py = 0; py < cell; py++) {
        for (let px = 0; px < cell; px++) {
          const x = left + cx * cell + px, y = top + cy * cell + py;
          const gx = (at(x + 1, y) - at(x - 1, y)) / 2, gy = (at(x, y + 1) - at(x, y - 1)) / 2;
          const magnitude = Math.hypot(gx, gy);
          for (let o = 0; o < 8; o++) {
            let away = Math.abs(Math.atan2(gy, gx) - (o * Math.PI) / 4) % (2 * Math.PI);
            away = Math.min(away, 2 * Math.PI - away);
            const vote = Math.max(0, 1 - away / (Math.PI / 4));
            values[(cy * 4 + cx) * 8 + o] += (magnitude * vote) / (cell * cell);
          }
        }
      }
    }
  }
  const length = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) + 1e-6;
  const clipped = values.map((v) => Math.min(v / length, 0.2));
  const total = clipped.reduce((sum, v) => sum + v, 0) + 1e-6;
  return clipped.map((v) => Math.sqrt(v / total));
}

Deno.test("dense root-SIFT equals its definition computed by loops, cell by cell, at every place", async () => {
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(3);
  const size = 31;
  const image = Array.from(
    { length: size },
    () => Array.from({ length: size }, () => rng.uniform(0, 1)),
  );
  // A step that divides the cell and one that does not; places across: (31 - 4 cell) / step + 1.
  for (const [cell, step, across] of [[3, 2, 10], [5, 3, 4]]) {
    const sift = tf.tidy(() =>
      localDescriptors(tf.tensor4d(image.flat(), [1, size, size, 1]), {
        cell,
        step,
        scales: [1],
      })[0]
        .sift.arraySync()[0]
    );
    assert.equal(sift.length, across * across);
    for (const [place, descriptor] of sift.entries()) {
      const left = (place % across) * step, top = Math.floor(place / across) * step;
      const expected = siftByLoops(image, cell, left, top);
      for (let i = 0; i < 128; i++) {
        assert.ok(
          Math.abs(descriptor[i] - expected[i]) < 1e-4,
          `cell ${cell}, step ${step}, place ${place}, value ${i}: ${descriptor[i]} against ${
            expected[i]
          }`,
        );
      }
    }
  }
});

Deno.test("dense SIFT at several scales: one part per scale, places from each scale's size", async () => {
  await selectBackend("wasm", { log: () => {} });
  tf.tidy(() => {
    const parts = localDescriptors(tf.randomUniform([2, 64, 64, 1]) as tf.Tensor4D, {
      cell: 3,
      step: 2,
      scales: [1, 0.75, 0.56],
    });
    // 64, 48 and 36 pixels: 27, 19 and 13 places across.
    assert.deepEqual(parts.map((p) => p.sift.shape), [[2, 729, 128], [2, 361, 128], [2, 169, 128]]);
  });
});

/** A random encoder: `components` PCA values plus x and y, `gaussians` Gaussians. */
function randomEncoder(components: number, gaussians: number, seed: number): FisherEncoder {
  const rng = new Rng(seed);
  const values = (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
  const weights = values(gaussians, 0.5, 1.5);
  const sum = weights.reduce((a, b) => a + b, 0);
  return {
    siftMean: tf.tensor1d(values(128, 0, 0.1)),
    siftBasis: tf.tensor2d(values(128 * components, -0.3, 0.3), [128, components]),
    means: tf.tensor2d(values(gaussians * (components + 2), -0.3, 0.3), [
      gaussians,
      components + 2,
    ]),
    variances: tf.tensor2d(values(gaussians * (components + 2), 0.05, 0.3), [
      gaussians,
      components + 2,
    ]),
    weights: tf.tensor1d(weights.map((w) => w / sum)),
  };
}

/** The improved Fisher vector of one face's local descriptors `x` [places][dims], by loops. */
function directFisherVector(x: number[][], encoder: FisherEncoder): number[] {
  const mu = encoder.means.arraySync() as number[][];
  const variance = encoder.variances.arraySync() as number[][];
  const w = encoder.weights.arraySync() as number[];
  const k = w.length, d = mu[0].length, t = x.length;
  const u = Array.from({ length: k }, () => new Array(d).fill(0));
  const v = Array.from({ length: k }, () => new Array(d).fill(0));
  for (const xt of x) {
    const log = mu.map((m, j) => {
      let q = Math.log(w[j]);
      for (let i = 0; i < d; i++) {
        q -= 0.5 * ((xt[i] - m[i]) ** 2 / variance[j][i] + Math.log(variance[j][i]));
      }
      return q;
    });
    const top = Math.max(...log);
    const p = log.map((q) => Math.exp(q - top));
    const total = p.reduce((a, b) => a + b, 0);
    for (let j = 0; j < k; j++) {
      const g = p[j] / total;
      for (let i = 0; i < d; i++) {
        const z = (xt[i] - mu[j][i]) / Math.sqrt(variance[j][i]);
        u[j][i] += g * z / (t * Math.sqrt(w[j]));
        v[j][i] += g * (z * z - 1) / (t * Math.sqrt(2 * w[j]));
      }
    }
  }
  const f = [...u.flat(), ...v.flat()].map((a) => Math.sign(a) * Math.sqrt(Math.abs(a)));
  const length = Math.sqrt(f.reduce((s, a) => s + a * a, 0));
  return f.map((a) => a / length);
}

Deno.test("Fisher vectors equal the definition computed by loops, over every scale's descriptors", async () => {
  await selectBackend("wasm", { log: () => {} });
  const options = { cell: 2, step: 4, scales: [1, 0.5] };
  const encoder = randomEncoder(4, 3, 7);
  const rng = new Rng(3);
  const faces = tf.tensor4d(
    Float32Array.from({ length: 2 * 16 * 16 }, () => rng.nextFloat()),
    [2, 16, 16, 1],
  );
  const got = fisherVectors(faces, encoder, options).arraySync();
  assert.equal(got[0].length, fisherVectorSize(3, 6));
  // The local descriptors (tested above) of both scales, as the mixture's inputs.
  const inputs = localDescriptors(faces, options).map((part) =>
    encoderInputs(part.sift, part.positions, encoder).arraySync()
  );
  for (let f = 0; f < 2; f++) {
    const x = inputs.flatMap((part) => part[f]);
    assert.equal(x.length, 9 + 1); // 16 px: 3 x 3 places; 8 px: 1.
    const want = directFisherVector(x, encoder);
    for (let i = 0; i < want.length; i++) {
      assert.ok(
        Math.abs(got[f][i] - want[i]) < 2e-4,
        `face ${f} value ${i}: ${got[f][i]} vs ${want[i]}`,
      );
    }
  }
  // The mixture's inputs are the PCA-reduced descriptors, then the positions.
  const [part] = localDescriptors(faces, options);
  const x = encoderInputs(part.sift, part.positions, encoder).arraySync()[0];
  const sift = part.sift.arraySync()[0];
  const mean = encoder.siftMean.arraySync() as number[];
  const basis = encoder.siftBasis.arraySync() as number[][];
  const positions = part.positions.arraySync();
  for (let p = 0; p < 9; p++) {
    for (let c = 0; c < 4; c++) {
      const want = sift[p].reduce((s, v, i) => s + (v - mean[i]) * basis[i][c], 0);
      assert.ok(Math.abs(x[p][c] - want) < 1e-4);
    }
    assert.deepEqual(x[p].slice(4), positions[p]);
  }
});

Deno.test("Fisher vectors of a batch larger than is encoded at once: each face's values as when encoded alone", async () => {
  await selectBackend("wasm", { log: () => {} });
  const encoder = randomEncoder(4, 3, 11);
  const options = { cell: 2, step: 3, scales: [1, 0.7] };
  const faces = tf.randomUniform([70, 20, 20, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const together = fisherVectors(faces, encoder, options);
  assert.deepEqual(together.shape, [70, fisherVectorSize(3, 6)]);
  const rows = together.arraySync();
  for (const i of [0, 31, 32, 33, 64, 69]) {
    const alone = tf.tidy(() =>
      fisherVectors(tf.slice(faces, [i, 0, 0, 0], [1, -1, -1, -1]), encoder, options).arraySync()[0]
    );
    for (let j = 0; j < alone.length; j++) {
      assert.ok(Math.abs(rows[i][j] - alone[j]) < 1e-6, `face ${i}, value ${j}`);
    }
  }
  tf.dispose([faces, together, ...Object.values(encoder)]);
});

Deno.test("splitMoments: posteriors x withSquares rows split into second, first moments and mass, for rank 2 and 3", async () => {
  await selectBackend("wasm", { log: () => {} });
  // Two rows of 2 dims, posteriors over 2 Gaussians: the sums by hand.
  const rows = tf.tensor2d([[1, 2], [3, -1]]);
  const posteriors = tf.tensor2d([[0.25, 0.75], [0.5, 0.5]]);
  const sums = tf.tidy(() => tf.matMul(posteriors, withSquares(rows), true, false));
  const { second, first, mass } = splitMoments(sums);
  const expected = {
    // Gaussian 0: 0.25 x row 0 + 0.5 x row 1; Gaussian 1: 0.75 x row 0 + 0.5 x row 1.
    second: [[0.25 * 1 + 0.5 * 9, 0.25 * 4 + 0.5 * 1], [0.75 * 1 + 0.5 * 9, 0.75 * 4 + 0.5 * 1]],
    first: [[0.25 * 1 + 0.5 * 3, 0.25 * 2 - 0.5], [0.75 * 1 + 0.5 * 3, 0.75 * 2 - 0.5]],
    mass: [[0.75], [1.25]],
  };
  for (const [name, part] of Object.entries({ second, first, mass })) {
    const values = part.arraySync() as number[][];
    const want = expected[name as keyof typeof expected];
    assert.deepEqual(part.shape, [2, want[0].length], name);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < want[i].length; j++) {
        assert.ok(Math.abs(values[i][j] - want[i][j]) < 1e-6, `${name}[${i}][${j}]`);
      }
    }
  }
  // A batch of such sums [batch, gaussians, 2 dims + 1] splits along its last axis alike.
  const stacked = tf.tidy(() => tf.stack([sums, tf.mul(sums, 2)]));
  const batched = splitMoments(stacked);
  assert.deepEqual(batched.second.shape, [2, 2, 2]);
  assert.deepEqual(batched.mass.shape, [2, 2, 1]);
  assert.deepEqual((batched.mass.arraySync() as number[][][])[1], [[1.5], [2.5]]);
  assert.throws(() => splitMoments(tf.zeros([2, 4])), /last axis of 4/);
  tf.dispose([rows, posteriors, sums, second, first, mass, stacked, ...Object.values(batched)]);
});

Deno.test("FisherVectors layer: the encoder as its weights, the same values as fisherVectors", async () => {
  await selectBackend("wasm", { log: () => {} });
  const options = { cell: 2, step: 4, scales: [1, 0.5] };
  const encoder = randomEncoder(4, 3, 9);
  const layer = new FisherVectors({ ...options, components: 4, gaussians: 3 });
  const faces = tf.randomUniform([2, 16, 16, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  layer.apply(faces);
  layer.setWeights([
    encoder.siftMean,
    encoder.siftBasis,
    encoder.means,
    encoder.variances,
    encoder.weights,
  ]);
  const viaLayer = layer.apply(faces) as tf.Tensor;
  assert.deepEqual(layer.computeOutputShape([2, 16, 16, 1]), [2, 36]);
  const direct = fisherVectors(faces, encoder, options);
  assert.ok(tf.max(tf.abs(tf.sub(viaLayer, direct))).dataSync()[0] < 1e-6);
  const config = layer.getConfig();
  assert.deepEqual(
    [config.cell, config.step, config.scales, config.components, config.gaussians],
    [2, 4, [1, 0.5], 4, 3],
  );
});
