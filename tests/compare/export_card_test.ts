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
import { drawnFaces, facelessImages } from "../helpers/synthetic_faces.ts";
import { readFace } from "../../lib/compare/face_image.ts";
import { FaceDetector } from "../../lib/compare/face_detector.ts";
import { LFW_ORIGINAL_LANDMARKS } from "../../lib/config/canonical_landmarks.ts";
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";
import { runChromium } from "../helpers/chromium.ts";
import { needs } from "../helpers/tiers.ts";

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

Deno.test("face_comparer.js detects and aligns photos as compare does, from the export's detector/ folder", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  await trainExperiment(store, tinyTrainOptions(images, "seed_model", "seed"));
  const out = join(tempDir(), "export");
  await exportExperiment(store, "seed_model", { outDir: out, backend: "wasm" });
  const dir = tempDir();
  const photos = [
    await drawnFaces(join(dir, "a.png"), { width: 250, height: 250 }),
    await drawnFaces(join(dir, "b.png"), { width: 500, height: 400 }, [{
      x: 300,
      y: 180,
      rotation: 12,
      scale: 1.3,
    }]),
  ];
  const { blank } = await facelessImages(dir);
  const decode = async (path: string) => {
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      channels: info.channels,
      pixels: new Uint8Array(data),
    };
  };
  const module = await import(pathToFileURL(join(out, "face_comparer.js")).href);
  const faceapi = await import("@vladmandic/face-api/dist/face-api.node-wasm.js");
  const detector = await module.loadDetector(tf, faceapi, async (name: string) => ({
    manifest: JSON.parse(
      await Deno.readTextFile(join(out, "detector", `${name}-weights_manifest.json`)),
    ),
    data: (await Deno.readFile(join(out, "detector", `${name}.bin`))).buffer,
  }));
  const comparer = await FaceComparer.open(store, "seed_model", { backend: "wasm", flip: false });
  const projectDetector = await FaceDetector.open();
  try {
    const ours = await Promise.all(photos.map((p) =>
      readFace(p, comparer.prepare, {
        detector: projectDetector,
        canonical: LFW_ORIGINAL_LANDMARKS.points,
      })
    ));
    const theirs = await Promise.all(
      photos.map(async (p) => module.readFace(detector, await decode(p))),
    );
    theirs.forEach((t, k) => {
      assert.equal(t.score, ours[k].score, "the same detection");
      assert.deepEqual(t.face, ours[k].face, "the same aligned crop");
      assert.ok(Math.abs(t.region.rotation - ours[k].region.rotation) < 1e-9);
    });
    const [a, b] = await Promise.all(photos.map(decode));
    const third = await module.loadComparer(tf, tf.io.fromMemory(exportedArtifacts(out)));
    const compared = await third.compareFaces(detector, a, b);
    const [expected] = comparer.calibrated(await comparer.compare([[ours[0].face, ours[1].face]]));
    assert.ok(
      Math.abs(compared.probability - expected) < 1e-5,
      `${compared.probability} vs ${expected}`,
    );
    const empty = await decode(blank);
    await assert.rejects(() => module.readFace(detector, empty), /no face found/);
  } finally {
    comparer.dispose();
  }
});

/** The exported model's files as tf.io.fromMemory's argument. */
function exportedArtifacts(out: string) {
  const files = JSON.parse(Deno.readTextFileSync(join(out, "model.json")));
  const weights = Deno.readFileSync(join(out, "weights.bin"));
  return {
    modelTopology: files.modelTopology,
    weightSpecs: files.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  };
}

Deno.test(
  "the compare page detects and aligns in the browser, shows the crops, refuses a photo without a face, and keeps the fixed box with ?detect=0",
  {
    ignore: needs("chromium"),
  },
  async () => {
    const images = tempDir();
    writePgmFolder(images, { people: 24, perPerson: 8 });
    const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
    await trainExperiment(store, tinyTrainOptions(images, "paged", "seed"));
    const out = tempDir();
    await exportExperiment(store, "paged", { outDir: out, backend: "wasm" });
    await drawnFaces(join(out, "a.png"), { width: 250, height: 250 });
    await drawnFaces(join(out, "b.png"), { width: 500, height: 400 }, [{
      x: 300,
      y: 180,
      rotation: 12,
      scale: 1.3,
    }]);
    await facelessImages(out);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
      const file = join(out, decodeURIComponent(new URL(r.url).pathname));
      try {
        return new Response(await Deno.readFile(file), {
          headers: {
            "content-type": file.endsWith(".html")
              ? "text/html"
              : file.endsWith(".png")
              ? "image/png"
              : "image/jpeg",
          },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    const page = async (query: string) => {
      const url = `http://127.0.0.1:${server.addr.port}/compare.html?${query}`;
      return (await runChromium(url, ["--virtual-time-budget=120000", "--dump-dom"])).stdout;
    };
    try {
      const comparer = await FaceComparer.open(store, "paged", { backend: "wasm", flip: false });
      const detector = await FaceDetector.open();
      const crops = await Promise.all(
        ["a.png", "b.png"].map((f) =>
          readFace(join(out, f), comparer.prepare, {
            detector,
            canonical: LFW_ORIGINAL_LANDMARKS.points,
          })
        ),
      );
      const [expected] = await comparer.compare([[crops[0].face, crops[1].face]]);
      comparer.dispose();
      const done = await page("a=/a.png&b=/b.png");
      const result =
        /<div id="result" data-state="(\w+)" data-probability="([\d.e-]+)" data-calibrated="([\d.e-]+)"/
          .exec(done);
      assert.ok(result, `no result: ${done.match(/<div id="result"[^<]*/)?.[0]}`);
      assert.equal(result[1], "done");
      // The browser decodes PNGs as sharp does: the same crops, the same score.
      assert.ok(
        Math.abs(Number(result[2]) - expected) < 1e-3,
        `page ${result[2]} vs compare ${expected}`,
      );
      assert.match(
        done,
        /<div class="note" id="infoB">face 1 of 1, score 0\.\d{3}; crop \d+x\d+ px at \d+,\d+, rotated 1[0-4]\.\d°<\/div>/,
      );
      const refused = await page("a=/a.png&b=/blank.png");
      assert.match(
        refused,
        /<div id="result" data-state="error">Error: second photo: no face found \(detector score below 0\.5\); not compared<\/div>/,
      );
      const fixed = await page("a=/a.png&b=/blank.png&detect=0");
      assert.match(fixed, /<div id="result" data-state="done"/);
      assert.match(fixed, /id="infoB">the model's box of the centred square \(no detection\)</);
    } finally {
      await server.shutdown();
    }
    // Opened from disk, face-api still loads (from a blob URL), and the page says why it cannot
    // read other files' pixels.
    const fromDisk = (await runChromium(
      `file://${join(out, "compare.html")}?a=file://${join(out, "a.png")}&b=file://${
        join(out, "b.png")
      }`,
      ["--virtual-time-budget=120000", "--dump-dom"],
    )).stdout;
    assert.match(
      fromDisk,
      /<div id="result" data-state="error">Error: this page was opened from disk \(file:\/\/\)/,
    );
  },
);
