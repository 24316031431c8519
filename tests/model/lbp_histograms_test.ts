import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { LbpHistograms } from "../../lib/model/custom_layers.ts";
import {
  lbpFeatureSize,
  lbpHistograms,
  multiScaleLbpFeatureSize,
  multiScaleLbpHistograms,
} from "../../lib/model/lbp_histograms.ts";
import { Rng } from "../../lib/util/rng.ts";

const faces = (values: number[], size: number) =>
  tf.tensor4d(values, [values.length / (size * size), size, size, 1]);

Deno.test("descriptor length: 59 bins per cell, cells inside the coded area", async () => {
  await selectBackend("wasm", { log: () => {} });
  // Radius 1 codes 62x62 pixels: 7x7 cells of 8; radius 2 codes 60x60: 7x7 cells.
  assert.equal(lbpFeatureSize(64, [1, 2], 8), 2 * 49 * 59);
  assert.equal(lbpFeatureSize(10, [1], 4), 4 * 59);
  const out = lbpHistograms(tf.zeros([3, 64, 64, 1]) as tf.Tensor4D, [1, 2], 8);
  assert.deepEqual(out.shape, [3, lbpFeatureSize(64, [1, 2], 8)]);
  out.dispose();
});

Deno.test("codes by hand: flat faces are the last uniform code; one brighter neighbour is bin 1; two apart are not uniform", async () => {
  await selectBackend("wasm", { log: () => {} });
  const bins = (values: number[]) => Array.from(lbpHistograms(faces(values, 3), [1], 1).dataSync());
  const only = (bin: number) => Array.from({ length: 59 }, (_, i) => (i === bin ? 1 : 0));
  // Every neighbour >= the centre: code 255, the 58th uniform code (bin 57).
  assert.deepEqual(bins([5, 5, 5, 5, 5, 5, 5, 5, 5]), only(57));
  // Only the top-left neighbour (bit 0) is >= the centre: code 1, bin 1.
  assert.deepEqual(bins([9, 1, 1, 1, 5, 1, 1, 1, 1]), only(1));
  // Top-left and top-right (bits 0 and 2): code 5 has four transitions, the shared bin 58.
  assert.deepEqual(bins([9, 1, 9, 1, 5, 1, 1, 1, 1]), only(58));
  // No neighbour >= the centre: code 0, bin 0.
  assert.deepEqual(bins([1, 1, 1, 1, 5, 1, 1, 1, 1]), only(0));
});

Deno.test("shares per cell, square-rooted; an order-preserving brightness change leaves the descriptor as it is", async () => {
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(5);
  const values = Array.from({ length: 2 * 20 * 20 }, () => rng.nextInt(256));
  const plain = lbpHistograms(faces(values, 20), [1, 2], 6);
  const squares = plain.square().reshape([2, -1, 59]).sum(2).dataSync();
  for (const s of squares) assert.ok(Math.abs(s - 1) < 1e-5, `a cell's shares sum to ${s}`);
  const brighter = lbpHistograms(faces(values.map((v) => Math.sqrt(v) * 3 + 7), 20), [1, 2], 6);
  assert.deepEqual(Array.from(brighter.dataSync()), Array.from(plain.dataSync()));
  // The export's layer computes the same.
  const layer = new LbpHistograms({ radii: [1, 2], cell: 6 });
  const viaLayer = layer.apply(faces(values, 20)) as tf.Tensor;
  assert.deepEqual(layer.computeOutputShape([null, 20, 20, 1]), [null, plain.shape[1]]);
  assert.deepEqual(Array.from(viaLayer.dataSync()), Array.from(plain.dataSync()));
  tf.dispose([plain, brighter, viaLayer]);
});

/** The descriptor of one size x size face, pixel by pixel in plain JavaScript. */
function referenceLbp(face: number[], size: number, radii: number[], cell: number): number[] {
  const uniform: number[] = [];
  for (let code = 0, next = 0; code < 256; code++) {
    let transitions = 0;
    for (let i = 0; i < 8; i++) {
      transitions += ((code >> i) & 1) !== ((code >> ((i + 1) % 8)) & 1) ? 1 : 0;
    }
    uniform.push(transitions <= 2 ? next++ : 58);
  }
  const out: number[] = [];
  for (const r of radii) {
    const h = size - 2 * r, g = Math.floor(h / cell);
    const counts = new Array(g * g * 59).fill(0);
    const around = [[-r, -r], [-r, 0], [-r, r], [0, r], [r, r], [r, 0], [r, -r], [0, -r]];
    for (let y = 0; y < g * cell; y++) {
      for (let x = 0; x < g * cell; x++) {
        const centre = face[(y + r) * size + x + r];
        let code = 0;
        around.forEach(([dy, dx], i) => {
          if (face[(y + r + dy) * size + x + r + dx] >= centre) code |= 1 << i;
        });
        counts[(Math.floor(y / cell) * g + Math.floor(x / cell)) * 59 + uniform[code]]++;
      }
    }
    out.push(...counts.map((c) => Math.sqrt(c / (cell * cell))));
  }
  return out;
}

Deno.test("the tfjs descriptor equals a pixel-by-pixel reference on random faces", async () => {
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(11);
  const size = 23;
  const values = Array.from({ length: 3 * size * size }, () => rng.nextInt(8) / 7);
  const ours = lbpHistograms(faces(values, size), [1, 2], 6);
  const got = Array.from(ours.dataSync());
  const n = got.length / 3;
  for (let i = 0; i < 3; i++) {
    const expected = referenceLbp(values.slice(i * size * size, (i + 1) * size * size), size, [
      1,
      2,
    ], 6);
    assert.equal(expected.length, n);
    expected.forEach((v, k) =>
      assert.ok(Math.abs(v - got[i * n + k]) < 1e-6, `face ${i}, value ${k}`)
    );
  }
  ours.dispose();
});

Deno.test("multi-scale histograms: each scale's histograms of the faces with s x s blocks averaged, concatenated; the layer agrees", async () => {
  await selectBackend("wasm", { log: () => {} });
  const rng = new Rng(11);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 64 * 64 }, () => rng.nextInt(256)), [
    2,
    64,
    64,
    1,
  ]);
  // 64x64: 2 x 49 cells; 32x32: radius 1 codes 30x30 (3x3 cells), radius 2 28x28 (3x3 cells).
  assert.equal(multiScaleLbpFeatureSize(64, [1, 2], [1, 2], 8), (2 * 49 + 2 * 9) * 59);
  assert.equal(multiScaleLbpFeatureSize(64, [1], [1, 2], 8), lbpFeatureSize(64, [1, 2], 8));
  const both = multiScaleLbpHistograms(x, [1, 2], [1, 2], 8);
  assert.deepEqual(both.shape, [2, multiScaleLbpFeatureSize(64, [1, 2], [1, 2], 8)]);
  // The half scale by hand: each 2x2 block's mean.
  const pixels = x.dataSync();
  const half = new Float32Array(2 * 32 * 32);
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < 32; y++) {
      for (let c = 0; c < 32; c++) {
        let sum = 0;
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          sum += pixels[n * 4096 + (2 * y + dy) * 64 + 2 * c + dx];
        }
        half[n * 1024 + y * 32 + c] = sum / 4;
      }
    }
  }
  const expected = tf.concat([
    lbpHistograms(x, [1, 2], 8),
    lbpHistograms(tf.tensor4d(half, [2, 32, 32, 1]), [1, 2], 8),
  ], 1);
  assert.ok(tf.max(tf.abs(tf.sub(both, expected))).dataSync()[0] < 1e-6);
  const layer = new LbpHistograms({ radii: [1, 2], cell: 8, scales: [1, 2] });
  assert.deepEqual(layer.computeOutputShape([null, 64, 64, 1]), [null, both.shape[1]]);
  assert.ok(tf.max(tf.abs(tf.sub(layer.apply(x) as tf.Tensor, both))).dataSync()[0] < 1e-6);
  assert.deepEqual(
    new LbpHistograms({ radii: [1], cell: 8 }).getConfig().scales,
    [1],
    "layers saved before scales existed read as one scale",
  );
});
