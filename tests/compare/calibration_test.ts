/**
 * Calibrated probabilities: Platt scaling on validation pairs, checked by the expected
 * calibration error; compare's verdicts do not change with it.
 */
import assert from "node:assert/strict";
import {
  calibrate,
  expectedCalibrationError,
  fitCalibration,
} from "../../lib/compare/calibration.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { testExperiment } from "../../lib/pipeline/test_stage.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { openTrainedExperiment } from "../../lib/pipeline/trained_experiment.ts";
import { loadPairSets } from "../../lib/pipeline/split_files.ts";
import { faceAt, loadFaceArray } from "../../lib/data/face_array.ts";
import { Rng } from "../../lib/util/rng.ts";
import { encodePgm } from "../../lib/data/pgm.ts";
import { join } from "node:path";
import { tempDir, tinyTrainOptions } from "../helpers/fixtures.ts";

/**
 * LFWcrop-style PGM faces a model can learn in seconds: each person a smooth random pattern
 * (a 6x6 grid of levels, bilinearly enlarged), each image that pattern with noise and a
 * brightness shift.
 */
function writeLearnableFaces(dir: string, o: { people: number; perPerson: number }): void {
  const size = 64, grid = 6;
  Deno.mkdirSync(join(dir, "faces"), { recursive: true });
  for (let p = 0; p < o.people; p++) {
    const rng = new Rng(1000 + p);
    const levels = Array.from({ length: grid * grid }, () => 40 + rng.nextInt(176));
    const at = (gx: number, gy: number) =>
      levels[Math.min(grid - 1, gy) * grid + Math.min(grid - 1, gx)];
    for (let n = 1; n <= o.perPerson; n++) {
      const noise = new Rng(p * 1000 + n);
      const shift = noise.nextInt(41) - 20;
      const pixels = new Uint8Array(size * size);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const u = (x / size) * (grid - 1), v = (y / size) * (grid - 1);
          const gx = Math.floor(u), gy = Math.floor(v), fx = u - gx, fy = v - gy;
          const base = (1 - fy) * ((1 - fx) * at(gx, gy) + fx * at(gx + 1, gy)) +
            fy * ((1 - fx) * at(gx, gy + 1) + fx * at(gx + 1, gy + 1));
          pixels[y * size + x] = Math.max(0, Math.min(255, base + shift + noise.nextInt(61) - 30));
        }
      }
      Deno.writeFileSync(
        join(dir, "faces", `Learn_Person${p}_${String(n).padStart(4, "0")}.pgm`),
        encodePgm({ width: size, height: size, pixels }),
      );
    }
  }
}

/** Pairs whose true same-person probability is sigmoid(t), t ~ N(0, 2²), and their labels. */
function pairs(n: number, seed: number): { truth: number[]; labels: number[] } {
  const rng = new Rng(seed);
  const truth: number[] = [], labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(1e-12, rng.nextFloat()), v = rng.nextFloat();
    const t = 2 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    truth.push(t);
    labels.push(rng.nextFloat() < 1 / (1 + Math.exp(-t)) ? 1 : 0);
  }
  return { truth, labels };
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("expected calibration error: near 0 for true probabilities, large for over-confident and shifted ones", () => {
  const { truth, labels } = pairs(20_000, 1);
  const exact = truth.map(sigmoid);
  assert.ok(expectedCalibrationError(exact, labels) < 0.015);
  const overConfident = truth.map((t) => sigmoid(4 * t));
  assert.ok(expectedCalibrationError(overConfident, labels) > 0.1);
  // A scaled cosine's sigmoid: everything squeezed near one value.
  const squeezed = truth.map((t) => sigmoid(0.2 * t + 1.5));
  assert.ok(expectedCalibrationError(squeezed, labels) > 0.2);
  assert.equal(expectedCalibrationError([], []), 0);
  assert.ok(Math.abs(expectedCalibrationError([0.05, 0.95], [0, 1]) - 0.05) < 1e-12);
});

Deno.test("Platt scaling on validation pairs recovers the true probabilities and brings the cross-fitted ECE under 0.05; it keeps every pair's order", () => {
  const { truth, labels } = pairs(2000, 2);
  for (
    const [name, raw, alpha, beta] of [
      ["over-confident", truth.map((t) => sigmoid(4 * t + 2)), 0.25, -0.5],
      ["squeezed", truth.map((t) => sigmoid(0.2 * t + 1.5)), 5, -7.5],
    ] as const
  ) {
    const c = fitCalibration(raw, labels);
    assert.ok(Math.abs(c.alpha - alpha) < 0.15 * alpha, `${name}: alpha ${c.alpha}`);
    assert.ok(Math.abs(c.beta - beta) < 0.15 * Math.abs(beta) + 0.1, `${name}: beta ${c.beta}`);
    assert.ok(c.eceBefore > 0.1, `${name}: ECE before ${c.eceBefore}`);
    assert.ok(c.eceAfter < 0.05, `${name}: ECE after ${c.eceAfter} (cross-fitted)`);
    assert.equal(c.pairs, 2000);
    // A fresh sample, never fitted on: calibrated there too.
    const fresh = pairs(5000, 3);
    const rawFresh = fresh.truth.map((t) =>
      name === "squeezed" ? sigmoid(0.2 * t + 1.5) : sigmoid(4 * t + 2)
    );
    const calibrated = rawFresh.map((p) => calibrate(c, p));
    assert.ok(expectedCalibrationError(calibrated, fresh.labels) < 0.04);
    for (let i = 1; i < raw.length; i++) {
      const d = (calibrate(c, raw[i]) - calibrate(c, raw[i - 1])) * (raw[i] - raw[i - 1]);
      assert.ok(d >= 0, `${name}: pairs ${i - 1} and ${i} swap their order`);
    }
  }
  assert.throws(() => fitCalibration([0.2, 0.7], [1, 1]), /both kinds/);
});

Deno.test("a cosine model's comparer is calibrated on its validation pairs: lower ECE there, the same verdicts at the mapped threshold", async () => {
  const images = tempDir();
  writeLearnableFaces(images, { people: 40, perPerson: 10 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const tiny = tinyTrainOptions(images, "cosine", "seed_cosface");
  await trainExperiment(store, {
    ...tiny,
    split: { ...tiny.split, params: { ...tiny.split.params, trainPairs: 200, valPairs: 120 } },
    params: { ...tiny.params, epochs: 2 },
  });
  const comparer = await FaceComparer.open(store, "cosine", { backend: "wasm" });
  const fitted = comparer.calibration;
  try {
    const c = comparer.calibration;
    assert.ok(c, "a calibration is fitted");
    assert.ok(c.alpha > 0);
    assert.equal(c.pairs, 120);
    // The scaled cosine's sigmoid is no probability (on these faces it sits near 1 for every
    // pair); calibrated, it is one.
    assert.ok(c.eceBefore > 0.3, `raw ECE ${c.eceBefore}`);
    assert.ok(c.eceAfter < 0.15, `ECE ${c.eceBefore} -> ${c.eceAfter} (cross-fitted, 120 pairs)`);
    // Score the validation pairs as compare does: the verdicts at the threshold equal those of
    // the calibrated probabilities at the mapped threshold.
    const trained = await openTrainedExperiment(store, "cosine");
    const val = (await loadPairSets(trained.split.dir)).val;
    const faces = await loadFaceArray(trained.prepared.dir);
    const face = (i: number) => faceAt(faces, i);
    const raw = await comparer.compare(val.map((p) => [face(p.a), face(p.b)]));
    const calibrated = comparer.calibrated(raw);
    const labels = val.map((p) => (p.same ? 1 : 0));
    assert.ok(
      expectedCalibrationError(calibrated, labels) <= expectedCalibrationError(raw, labels) + 1e-9,
      "in-sample, the calibrated probabilities are at least as well calibrated",
    );
    raw.forEach((p, i) => {
      assert.equal(
        p >= comparer.threshold,
        calibrated[i] >= comparer.calibratedThreshold,
        `pair ${i}`,
      );
    });
  } finally {
    comparer.dispose();
  }
  // Once tested, the comparer takes the validation scores the test stage stored: the same fit.
  await testExperiment(store, {
    name: "cosine",
    params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 16, galleryPairs: 0, flip: true },
    backend: "wasm",
    log: () => {},
  });
  const tested = await FaceComparer.open(store, "cosine", { backend: "wasm" });
  try {
    assert.equal(tested.thresholdSource, "validation set (test stage)");
    assert.ok(
      Math.abs(tested.calibration!.alpha - fitted!.alpha) < 0.01 * fitted!.alpha &&
        Math.abs(tested.calibration!.beta - fitted!.beta) < 0.01 * Math.abs(fitted!.beta) + 0.01,
      `${JSON.stringify(tested.calibration)} vs ${JSON.stringify(fitted)}`,
    );
  } finally {
    tested.dispose();
  }
});
