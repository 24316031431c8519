/**
 * The standalone comparison page: one HTML file holding TensorFlow.js, an exported model and
 * its preprocessing, where a user picks two photos and the model compares them in the browser.
 * It works offline, from disk or from any server. `?a=URL&b=URL` compares two images at once
 * (used by the tests and by links from the report).
 * @module
 */
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { encodeBase64 } from "../report/base64.ts";

/** Bytes gzipped and base64-encoded: the page inflates them with the browser's DecompressionStream. */
function packed(bytes: Uint8Array): string {
  return encodeBase64(new Uint8Array(gzipSync(bytes, { level: 9 })));
}
import type { Preprocessing } from "./export_experiment.ts";
import type { ExportedFiles } from "./export_layers_model.ts";
import { exportModuleSource } from "./export_module.ts";
import { DETECTOR_MODEL_DIR, DETECTOR_WEIGHTS } from "./face_detector.ts";

/**
 * face-api's ES module without a bundled tfjs (dist/face-api.esm-nobundle.js), its three
 * namespace imports of tfjs and its backends bound to the page's global \`tf\` instead, so
 * that it runs from a blob URL on the page's own TensorFlow.js.
 */
export async function faceApiSource(): Promise<string> {
  const file = new URL("../dist/face-api.esm-nobundle.js", DETECTOR_MODEL_DIR);
  let text = await Deno.readTextFile(file);
  const bound: string[] = [];
  text = text.replace(/import\*as (\w+) from"(@tensorflow\/[^"]+)";?/g, (_, name, from) => {
    bound.push(`const ${name} = ${from.startsWith("@tensorflow/tfjs/") ? "globalThis.tf" : "{}"};`);
    return "";
  });
  if (bound.length !== 3) {
    throw new Error(`${file.pathname}: expected three tfjs imports, found ${bound.length}`);
  }
  return (bound.join("\n") + "\n" + text).replace(/<\/script/gi, "<\\/script");
}

/**
 * face_comparer.js's code as plain script declarations (its `export` keywords dropped), so
 * that the page registers the model's custom layers with the very code the module exports.
 */
function inlineModule(pre: Preprocessing): string {
  return exportModuleSource(pre).replace(/^export /gm, "").replace(/<\/script/gi, "<\\/script");
}

const TFJS = new URL("../../node_modules/@tensorflow/tfjs/dist/tf.min.js", import.meta.url);

/** Builds the page for an exported model. */
export async function buildComparePage(files: ExportedFiles, pre: Preprocessing): Promise<string> {
  let tfjs: Uint8Array;
  try {
    tfjs = await Deno.readFile(TFJS);
  } catch {
    throw new Error(
      `TensorFlow.js bundle not found at ${fileURLToPath(TFJS)}: run \`deno install\``,
    );
  }
  const model = JSON.parse(files["model.json"]);
  const detector: Record<string, { manifest: unknown; data: string }> = {};
  for (const name of [DETECTOR_WEIGHTS.ssd, DETECTOR_WEIGHTS.landmarks]) {
    detector[name] = {
      manifest: JSON.parse(
        await Deno.readTextFile(new URL(`${name}-weights_manifest.json`, DETECTOR_MODEL_DIR)),
      ),
      data: packed(await Deno.readFile(new URL(`${name}.bin`, DETECTOR_MODEL_DIR))),
    };
  }
  const data = {
    pre,
    topology: model.modelTopology,
    weightSpecs: model.weightsManifest[0].weights,
    weights: packed(files["weights.bin"]),
    detector,
  };
  const faceApi = await faceApiSource();
  // "<" is escaped so that nothing in the data can close a script element.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>face-comparer: compare two faces (${pre.experiment})</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:900px}
.pick{display:inline-block;margin:8px 24px 8px 0;vertical-align:top}
canvas{width:128px;height:128px;image-rendering:pixelated;border:1px solid #ccc;display:block;margin-top:6px}
#result{font-size:20px;margin:18px 0;font-weight:600}.note{color:#666;font-size:13px}
</style></head><body>
<h1>Are these two faces the same person?</h1>
<p class="note">Model: experiment <code>${pre.experiment}</code> (${pre.model}); decision threshold ${
    (pre.calibration?.threshold ?? pre.threshold).toFixed(4)
  }
(${pre.thresholdSource}${
    pre.calibration ? `; probabilities calibrated on ${pre.calibration.pairs} validation pairs` : ""
  }). Everything runs in this page; no image leaves your computer.</p>${
    pre.nearChance
      ? `\n<p id="chance-warning" style="color:#a40000"><strong>Warning:</strong> this model scored no better than chance on its validation pairs; its verdicts are guesses.</p>`
      : ""
  }
<div class="pick"><label>First photo <input type="file" id="fileA" accept="image/*"></label><canvas id="faceA" width="${pre.faceSize}" height="${pre.faceSize}"></canvas><div class="note" id="infoA"></div></div>
<div class="pick"><label>Second photo <input type="file" id="fileB" accept="image/*"></label><canvas id="faceB" width="${pre.faceSize}" height="${pre.faceSize}"></canvas><div class="note" id="infoB"></div></div>
<div id="result" data-state="waiting">Pick two photos.</div>
<p class="note">Pick two photos, or drop them on the page. <code>compare.html?a=URL&amp;b=URL</code> compares two images at once when the page is served over HTTP (a page opened from disk cannot read other files' pixels).</p>
<p class="note">Each photo's face is found with its landmarks (${pre.faces.detector}, in this page), its eyes,
nose and mouth are aligned to where they sit in the training images, and the model's crop is read from there: the crops
above are what the model compares. A photo without a face is not compared. <code>?detect=0</code> reads the model's box
(${
    pre.box.join(", ")
  } in a ${pre.frame}x${pre.frame} frame) of the photo's largest centred square instead, as for LFW's images.</p>
<script type="text/plain" id="tfjs">${packed(tfjs)}</script>
<script type="application/json" id="model-data">${json}</script>
<script type="text/plain" id="face-api">${faceApi}</script>
<script>
"use strict";
${inlineModule(pre)}
(async () => {
  const result = document.getElementById("result");
  try {
    // TensorFlow.js, the model's and the detector's weights are stored gzipped (base64) to keep
    // the page small; the browser inflates them.
    const inflate = async (b64) => new Uint8Array(await new Response(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    const tfSource = await inflate(document.getElementById("tfjs").textContent);
    await new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = URL.createObjectURL(new Blob([tfSource], { type: "text/javascript" }));
      script.onload = resolve;
      script.onerror = () => reject(new Error("TensorFlow.js did not load"));
      document.head.appendChild(script);
    });
    const data = JSON.parse(document.getElementById("model-data").textContent);
    const pre = data.pre;
    // The model's custom layers, as face_comparer.js registers them (the module's code is
    // inlined above, so the page and the module cannot drift).
    registerLayers(tf);
    const bytes = await inflate(data.weights);
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: data.topology, weightSpecs: data.weightSpecs, weightData: bytes.buffer }));
    const faces = {};
    const query = new URLSearchParams(location.search);
    const detect = query.get("detect") !== "0";
    // face-api (its ES module, inlined as text, on this page's tf) and its nets, embedded.
    const faceapi = await import(URL.createObjectURL(new Blob([document.getElementById("face-api").textContent], { type: "text/javascript" })));
    const detector = await loadDetector(tf, faceapi, async (name) => ({
      manifest: data.detector[name].manifest,
      data: (await inflate(data.detector[name].data)).buffer,
    }));
    // The photo's pixels, read as face_comparer.js reads them: detected and aligned (or the fixed
    // box with ?detect=0), resampled by the project's own code; the crop is shown.
    async function prepare(image, key) {
      const width = image.naturalWidth || image.width, height = image.naturalHeight || image.height;
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(image, 0, 0, width, height);
      const raw = { width, height, channels: 4, pixels: new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer) };
      const info = document.getElementById(key === "a" ? "infoA" : "infoB");
      let face;
      if (detect) {
        let read;
        try {
          read = await readFace(detector, raw);
        } catch (error) {
          info.textContent = error.message;
          throw new Error((key === "a" ? "first" : "second") + " photo: " + error.message + "; not compared");
        }
        face = read.face;
        const r = read.region;
        info.textContent = "face " + read.chosen + " of " + read.faces + ", score " + read.score.toFixed(3) + "; crop " + r.width.toFixed(0) + "x" + r.height.toFixed(0) + " px at " + r.x.toFixed(0) + "," + r.y.toFixed(0) + ", rotated " + r.rotation.toFixed(1) + "°";
      } else {
        face = prepareFace(raw);
        info.textContent = "the model's box of the centred square (no detection)";
      }
      const shown = document.getElementById(key === "a" ? "faceA" : "faceB");
      const grey = new ImageData(pre.faceSize, pre.faceSize);
      for (let i = 0; i < face.length; i++) {
        grey.data[4 * i] = grey.data[4 * i + 1] = grey.data[4 * i + 2] = face[i];
        grey.data[4 * i + 3] = 255;
      }
      shown.getContext("2d").putImageData(grey, 0, 0);
      return tf.tensor4d(modelInput(face), [1, pre.inputSize, pre.inputSize, 1]);
    }
    function compare() {
      if (!faces.a || !faces.b) return;
      const p = tf.tidy(() => model.predict([faces.a, faces.b]).dataSync()[0]);
      // The calibrated probability (face_comparer.js's calibrated(), fitted on the experiment's
      // validation pairs) is shown; the verdict is the same at either scale's threshold.
      const q = calibrated(p);
      const same = p >= pre.threshold;
      result.textContent = (same ? "Same person" : "Different people") + " (probability " + q.toFixed(3) + (pre.calibration ? ", calibrated" : "") + "; threshold " + calibratedThreshold.toFixed(3) + ")";
      result.dataset.state = "done";
      result.dataset.probability = String(p);
      result.dataset.calibrated = String(q);
      result.dataset.same = String(same);
    }
    async function load(source, key) {
      const image = source instanceof Blob ? await createImageBitmap(source) : await new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = () => reject(new Error("cannot load image " + source));
        img.src = source;
      });
      let face;
      try {
        face = await prepare(image, key);
      } catch (error) {
        clear(key); // no verdict may stand on the photo this one replaced
        // A page opened from disk may show file:// images but never read their pixels.
        if (typeof source === "string" && location.protocol === "file:" && error.name === "SecurityError") {
          throw new Error("this page was opened from disk (file://), and browsers do not let such a page read the pixels of other files given by URL (" + source + "). Pick the photos with the buttons above or drop them on the page; to use ?a=...&b=..., serve this folder over HTTP (for example: python3 -m http.server) and open the page from there.");
        }
        throw error;
      }
      if (faces[key]) faces[key].dispose();
      faces[key] = face;
      compare();
    }
    const fail = (error) => { result.textContent = "Error: " + error.message; result.dataset.state = "error"; };
    const clear = (key) => { if (faces[key]) faces[key].dispose(); delete faces[key]; };
    document.getElementById("fileA").onchange = (e) => e.target.files[0] && load(e.target.files[0], "a").catch(fail);
    document.getElementById("fileB").onchange = (e) => e.target.files[0] && load(e.target.files[0], "b").catch(fail);
    // Photos dropped on the page: the first fills the empty side (or the first), a second the other.
    document.addEventListener("dragover", (e) => e.preventDefault());
    document.addEventListener("drop", (e) => {
      e.preventDefault();
      const files = [...e.dataTransfer.files].filter((f) => f.type.startsWith("image/")).slice(0, 2);
      const sides = files.length === 2 ? ["a", "b"] : [faces.a && !faces.b ? "b" : "a"];
      files.forEach((file, i) => load(file, sides[i]).catch(fail));
    });
    if (query.get("a") && query.get("b")) {
      await load(query.get("a"), "a");
      await load(query.get("b"), "b");
    } else {
      result.dataset.state = "ready";
    }
  } catch (error) {
    result.textContent = "Error: " + error.message;
    result.dataset.state = "error";
  }
})();
</script>
</body></html>
`;
}
