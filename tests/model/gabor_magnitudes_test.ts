import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { GaborMagnitudes } from "../../lib/model/custom_layers.ts";
import {
  gaborFeatureSize,
  gaborMagnitudes,
  type GaborOptions,
} from "../../lib/model/gabor_magnitudes.ts";
import { Rng } from "../../lib/util/rng.ts";

const SIZE = 24;

/** Random faces [n, SIZE, SIZE, 1] with values 0-255. */
function randomFaces(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n * SIZE * SIZE }, () => 255 * rng.nextFloat());
}

/**
 * The magnitudes straight from the definition, one 2-D complex sum per wavelet and sample,
 * without the separable factorisation: |sum over pixels of (face - mean) * g(x - cx, y - cy)|,
 * g(d) = k^2 / sigma^2 exp(-k^2 |d|^2 / (2 sigma^2)) exp(i k.d), sigma = 2 pi, k = pi/2 / sqrt(2)^v.
 */
function directMagnitudes(face: number[], options: GaborOptions): number[][][] {
  const mean = face.reduce((s, v) => s + v, 0) / face.length;
  const sigma = 2 * Math.PI;
  const out = Math.floor(SIZE / options.stride);
  const maps: number[][][] = [];
  for (let v = 0; v < options.scales; v++) {
    const k = Math.PI / 2 / Math.SQRT2 ** v;
    for (let u = 0; u < options.orientations; u++) {
      const angle = Math.PI * u / options.orientations;
      const [kx, ky] = [k * Math.cos(angle), k * Math.sin(angle)];
      const map: number[][] = [];
      for (let oy = 0; oy < out; oy++) {
        const row: number[] = [];
        for (let ox = 0; ox < out; ox++) {
          const [cx, cy] = [ox, oy].map((o) => options.stride * o + (options.stride - 1) / 2);
          let re = 0, im = 0;
          for (let y = 0; y < SIZE; y++) {
            for (let x = 0; x < SIZE; x++) {
              const [dx, dy] = [x - cx, y - cy];
              const envelope = k * k / (sigma * sigma) *
                Math.exp(-k * k * (dx * dx + dy * dy) / (2 * sigma * sigma));
              const value = face[y * SIZE + x] - mean;
              re += value * envelope * Math.cos(kx * dx + ky * dy);
              im += value * envelope * Math.sin(kx * dx + ky * dy);
            }
          }
          row.push(Math.hypot(re, im));
        }
        map.push(row);
      }
      maps.push(map);
    }
  }
  return maps;
}

/** Pooled, then divided by the mean and square-rooted, wavelet by wavelet in row-major order. */
function expectedFeatures(maps: number[][][], pool: number): number[] {
  const pooled = maps.flatMap((map) => {
    const cells = Math.floor(map.length / pool);
    const values: number[] = [];
    for (let cy = 0; cy < cells; cy++) {
      for (let cx = 0; cx < cells; cx++) {
        let sum = 0;
        for (let y = 0; y < pool; y++) {
          for (let x = 0; x < pool; x++) sum += map[cy * pool + y][cx * pool + x];
        }
        values.push(sum / (pool * pool));
      }
    }
    return values;
  });
  const mean = pooled.reduce((s, v) => s + v, 0) / pooled.length;
  return pooled.map((v) => Math.sqrt(v / mean));
}

Deno.test("Gabor magnitudes equal the 2-D wavelet sums of their definition, pooled and normalised", async () => {
  await selectBackend("wasm", { log: () => {} });
  for (
    const options of [
      { scales: 3, orientations: 4, stride: 2, pool: 1 },
      { scales: 2, orientations: 3, stride: 2, pool: 2 },
      { scales: 2, orientations: 2, stride: 3, pool: 2 },
    ]
  ) {
    const values = randomFaces(2, 5);
    const ours = tf.tidy(() =>
      gaborMagnitudes(tf.tensor4d(values, [2, SIZE, SIZE, 1]), options).arraySync()
    );
    assert.equal(ours[0].length, gaborFeatureSize(SIZE, options));
    for (let i = 0; i < 2; i++) {
      const face = values.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
      const want = expectedFeatures(directMagnitudes(face, options), options.pool);
      assert.equal(want.length, ours[i].length);
      want.forEach((w, j) =>
        assert.ok(
          Math.abs(w - ours[i][j]) < 1e-3 * Math.max(1, w),
          `${JSON.stringify(options)} face ${i} value ${j}: ${ours[i][j]} vs ${w}`,
        )
      );
    }
  }
});

Deno.test("Gabor magnitudes ignore brightness and contrast; the 64x64 bank gives 10,240 values", async () => {
  await selectBackend("wasm", { log: () => {} });
  const options = { scales: 5, orientations: 8, stride: 4, pool: 1 }; // gabor_jb's
  assert.equal(gaborFeatureSize(64, options), 40 * 16 * 16);
  assert.equal(gaborFeatureSize(64, { ...options, stride: 2, pool: 2 }), 40 * 16 * 16);
  const values = randomFaces(1, 9);
  const [plain, brighter] = tf.tidy(() =>
    [values, values.map((v) => 0.5 * v + 40)].map((v) =>
      Array.from(gaborMagnitudes(tf.tensor4d(v, [1, SIZE, SIZE, 1]), options).dataSync())
    )
  );
  plain.forEach((v, j) =>
    assert.ok(Math.abs(v - brighter[j]) < 1e-4, `${j}: ${v} vs ${brighter[j]}`)
  );
});

Deno.test("the GaborMagnitudes layer computes the same values and serialises its settings", async () => {
  await selectBackend("wasm", { log: () => {} });
  const options = { scales: 2, orientations: 4, stride: 2, pool: 2 };
  const layer = new GaborMagnitudes({ ...options, name: "gabor" });
  assert.deepEqual(layer.computeOutputShape([null, SIZE, SIZE, 1]), [
    null,
    gaborFeatureSize(SIZE, options),
  ]);
  const config = layer.getConfig();
  assert.deepEqual(
    {
      scales: config.scales,
      orientations: config.orientations,
      stride: config.stride,
      pool: config.pool,
    },
    options,
  );
  const x = tf.tensor4d(randomFaces(2, 3), [2, SIZE, SIZE, 1]);
  const gap = tf.tidy(() =>
    tf.max(tf.abs(tf.sub(layer.apply(x) as tf.Tensor, gaborMagnitudes(x as tf.Tensor4D, options))))
      .dataSync()[0]
  );
  assert.equal(gap, 0);
  x.dispose();
});
