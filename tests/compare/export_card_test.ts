/**
 * The export's additions: the calibration and the face finding in preprocessing.json, the
 * calibration in face_comparer.js (the project's own function), and model_card.md beside the model
 * with the files' sizes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { exportExperiment } from "../../lib/compare/export_experiment.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("export: preprocessing.json carries the calibration and the face finding, face_comparer.js calibrates as compare does, model_card.md lists the files' sizes", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  await trainExperiment(store, tinyTrainOptions(images, "cosine", "seed_cosface"));
  const out = join(tempDir(), "export");
  const result = await exportExperiment(store, "cosine", { outDir: out, backend: "wasm" });
  const pre = JSON.parse(Deno.readTextFileSync(join(out, "preprocessing.json")));
  assert.equal(pre.faces.canonical.name, "lfw-original");
  assert.equal(pre.faces.canonical.points.length, 5);
  assert.match(pre.faces.detector, /^@vladmandic\/face-api@1\.7\.15/);
  // The export scores without mirror averaging: its comparer is the one to match.
  const comparer = await FaceComparer.open(store, "cosine", { backend: "wasm", flip: false });
  try {
    const module = await import(pathToFileURL(join(out, "face_comparer.js")).href);
    if (comparer.calibration) {
      assert.equal(pre.calibration.alpha, comparer.calibration.alpha);
      assert.equal(pre.calibration.threshold, comparer.calibratedThreshold);
      assert.equal(module.calibratedThreshold, comparer.calibratedThreshold);
      for (const p of [0.001, 0.3, 0.5, 0.97, 0.99999]) {
        assert.ok(Math.abs(module.calibrated(p) - comparer.calibrated([p])[0]) < 1e-6, `${p}`);
      }
    } else {
      assert.equal(pre.calibration, undefined);
      assert.equal(module.calibrated(0.3), 0.3);
      assert.equal(module.calibratedThreshold, pre.threshold);
    }
  } finally {
    comparer.dispose();
  }
  const card = Deno.readTextFileSync(join(out, "model_card.md"));
  for (
    const heading of [
      "# Model card: cosine",
      "## Training and evaluation data",
      "## Decision",
      "## Faces in photos",
      "## Intended use and limitations",
      "## Files",
    ]
  ) assert.ok(card.includes(heading), heading);
  for (
    const file of [
      "model.json",
      "weights.bin",
      "preprocessing.json",
      "face_comparer.js",
      "compare.html",
    ]
  ) {
    const size = Deno.statSync(join(out, file)).size;
    assert.equal(result.sizes[file], size, file);
    assert.match(card, new RegExp(`\\| ${file.replace(".", "\\.")} \\| [\\d.]+ (kB|MB) \\|`), file);
  }
  assert.match(card, /Not evaluated by `test` yet/);
  const page = Deno.readTextFileSync(join(out, "compare.html"));
  assert.ok(page.includes("result.dataset.calibrated = String(q)"));
});
