/**
 * The standalone comparison page: one HTML file holding TensorFlow.js, an exported model and
 * its preprocessing, where a user picks two photos and the model compares them in the browser.
 * It works offline, from disk or from any server. `?a=URL&b=URL` compares two images at once
 * (used by the tests and by links from the report).
 * @module
 */
import { fileURLToPath } from "node:url";
import { encodeBase64 } from "../report/base64.ts";
import type { Preprocessing } from "./export_experiment.ts";
import type { ExportedFiles } from "./export_layers_model.ts";
import { exportModuleSource } from "./export_module.ts";

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
  let tfjs: string;
  try {
    tfjs = await Deno.readTextFile(TFJS);
  } catch {
    throw new Error(
      `TensorFlow.js bundle not found at ${fileURLToPath(TFJS)}: run \`deno install\``,
    );
  }
  const model = JSON.parse(files["model.json"]);
  const data = {
    pre,
    topology: model.modelTopology,
    weightSpecs: model.weightsManifest[0].weights,
    weights: encodeBase64(files["weights.bin"]),
  };
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
<div class="pick"><label>First photo <input type="file" id="fileA" accept="image/*"></label><canvas id="faceA" width="${pre.faceSize}" height="${pre.faceSize}"></canvas></div>
<div class="pick"><label>Second photo <input type="file" id="fileB" accept="image/*"></label><canvas id="faceB" width="${pre.faceSize}" height="${pre.faceSize}"></canvas></div>
<div id="result" data-state="waiting">Pick two photos.</div>
<p class="note">Pick two photos, or drop them on the page. <code>compare.html?a=URL&amp;b=URL</code> compares two images at once when the page is served over HTTP (a page opened from disk cannot read other files' pixels).</p>
<p class="note">Photos are cropped as LFW images are: the model's crop box (${
    pre.box.join(", ")
  } in a ${pre.frame}x${pre.frame} frame) scaled
to the photo's largest centred square, so faces centred and filling about a third of the frame work best.</p>
<script>${tfjs}</script>
<script type="application/json" id="model-data">${json}</script>
<script>
"use strict";
${inlineModule(pre)}
(async () => {
  const result = document.getElementById("result");
  try {
    const data = JSON.parse(document.getElementById("model-data").textContent);
    const pre = data.pre;
    // The model's custom layers, as face_comparer.js registers them (the module's code is
    // inlined above, so the page and the module cannot drift).
    registerLayers(tf);
    const bytes = Uint8Array.from(atob(data.weights), (c) => c.charCodeAt(0));
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: data.topology, weightSpecs: data.weightSpecs, weightData: bytes.buffer }));
    const faces = {};
    // Crop the face box, resize it to the prepared size in grey, then to the model's input size.
    function prepare(image, canvasId) {
      const side = Math.min(image.width, image.height);
      const s = side / pre.frame, ox = (image.width - side) / 2, oy = (image.height - side) / 2;
      const [l, t, r, b] = pre.box;
      const canvas = document.getElementById(canvasId);
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(image, ox + l * s, oy + t * s, (r - l) * s, (b - t) * s, 0, 0, pre.faceSize, pre.faceSize);
      const rgba = ctx.getImageData(0, 0, pre.faceSize, pre.faceSize).data;
      const grey = new ImageData(pre.faceSize, pre.faceSize);
      for (let i = 0; i < rgba.length; i += 4) {
        const g = Math.round(pre.luma[0] * rgba[i] + pre.luma[1] * rgba[i + 1] + pre.luma[2] * rgba[i + 2]);
        grey.data[i] = grey.data[i + 1] = grey.data[i + 2] = g;
        grey.data[i + 3] = 255;
      }
      ctx.putImageData(grey, 0, 0);
      return tf.tidy(() => tf.image.resizeBilinear(tf.browser.fromPixels(canvas, 1).toFloat(), [pre.inputSize, pre.inputSize], true).div(pre.scale).expandDims(0));
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
        face = prepare(image, key === "a" ? "faceA" : "faceB");
      } catch (error) {
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
    const query = new URLSearchParams(location.search);
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
