import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { FACE_BOXES } from "../../lib/config/defaults.ts";
import { resampleRect } from "../../lib/data/resample.ts";
import {
  cropFaces,
  cropWithin,
  frameCropProblem,
  HEAD_AND_FACE_FRAME,
  resampleMatrix,
} from "../../lib/model/face_crop.ts";
import { FaceCrop, registerCustomLayers } from "../../lib/model/custom_layers.ts";
import { descriptorModel } from "../../lib/model/descriptor_model.ts";
import { getModel } from "../../lib/model/registry.ts";
import { Rng } from "../../lib/util/rng.ts";

/** A 250x250 grey image of smooth shapes and noise, like a face's frame. */
function frameImage(seed: number) {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(250 * 250);
  for (let y = 0; y < 250; y++) {
    for (let x = 0; x < 250; x++) {
      const v = 128 + 60 * Math.sin(x / 9) * Math.cos(y / 13) + 40 * (rng.nextFloat() - 0.5);
      pixels[y * 250 + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { width: 250, height: 250, channels: 1, pixels };
}

const rect = ([l, t, r, b]: readonly number[]) => ({
  left: l,
  top: t,
  width: r - l,
  height: b - t,
});

Deno.test("cropWithin: the region in the frame's pixels; a region outside the frame is refused", () => {
  assert.deepEqual(cropWithin(HEAD_AND_FACE_FRAME, FACE_BOXES.head, 100), {
    left: 14,
    top: 2,
    width: 126,
    height: 150,
    size: 100,
  });
  assert.deepEqual(cropWithin(HEAD_AND_FACE_FRAME, FACE_BOXES.face100, 100), {
    left: 27,
    top: 34,
    width: 100,
    height: 100,
    size: 100,
  });
  assert.throws(() => cropWithin([50, 52, 200, 202], [40, 52, 120, 132], 80), /not inside/);
});

Deno.test("frameCropProblem: a square frame holding the crop on its centre line, half a pixel allowed", () => {
  assert.equal(frameCropProblem(HEAD_AND_FACE_FRAME, FACE_BOXES.head), undefined);
  assert.equal(frameCropProblem(HEAD_AND_FACE_FRAME, FACE_BOXES.face100), undefined);
  // LFWcrop's box is centred at 124.5, the frame at 125.
  assert.equal(frameCropProblem(HEAD_AND_FACE_FRAME, FACE_BOXES.lfwcrop), undefined);
  assert.match(
    frameCropProblem([0, 0, 100, 120], [10, 10, 90, 50])!,
    /frame 0_0_100_120 is not a square/,
  );
  assert.match(
    frameCropProblem(HEAD_AND_FACE_FRAME, [40, 84, 210, 184])!,
    /crop 40_84_210_184 is not inside frame 48_50_202_204/,
  );
  assert.match(
    frameCropProblem(HEAD_AND_FACE_FRAME, [76, 84, 177, 184])!,
    /crop 76_84_177_184 is not centred across frame 48_50_202_204 \(1.5 pixels right of its centre line\)/,
  );
  assert.match(
    frameCropProblem(HEAD_AND_FACE_FRAME, [73, 84, 175, 184])!,
    /\(1 pixel left of its centre line\)/,
  );
});

Deno.test("resampleMatrix: rows sum to one; a span of whole pixels at the output's size selects them", () => {
  const shrink = resampleMatrix(150, 0, 150, 100);
  for (let o = 0; o < 100; o++) {
    let sum = 0;
    for (let i = 0; i < 150; i++) sum += shrink[o * 150 + i];
    assert.ok(Math.abs(sum - 1) < 1e-5);
  }
  const select = resampleMatrix(150, 25, 100, 100);
  for (let o = 0; o < 100; o++) {
    for (let i = 0; i < 150; i++) assert.equal(select[o * 150 + i], i === o + 25 ? 1 : 0);
  }
});

Deno.test("a crop of faces prepared from the frame is the face prepared from the crop's region directly", async () => {
  await selectBackend("cpu", { log: () => {} });
  for (const seed of [1, 2]) {
    const image = frameImage(seed);
    const frame = resampleRect(image, rect(HEAD_AND_FACE_FRAME), { size: 154, grey: true });
    const faces = tf.tensor4d(Float32Array.from(frame), [1, 154, 154, 1]);
    for (const region of [FACE_BOXES.head, FACE_BOXES.face100]) {
      const direct = resampleRect(image, rect(region), { size: 100, grey: true });
      const cropped = cropFaces(faces, cropWithin(HEAD_AND_FACE_FRAME, region, 100));
      const values = cropped.dataSync();
      cropped.dispose();
      let worst = 0;
      // The direct face is rounded to bytes once, the crop not at all.
      for (let i = 0; i < direct.length; i++) {
        worst = Math.max(worst, Math.abs(values[i] - direct[i]));
      }
      assert.ok(worst <= 0.5 + 1e-3, `${region}: differs by ${worst}`);
    }
    faces.dispose();
  }
});

Deno.test("cropFaces of a batch: each face cropped as alone; FaceCrop's layer, saved and loaded, the same", async () => {
  await selectBackend("cpu", { log: () => {} });
  registerCustomLayers();
  const rng = new Rng(4);
  const faces = tf.tensor4d(Float32Array.from({ length: 3 * 40 * 40 }, () => rng.nextFloat()), [
    3,
    40,
    40,
    1,
  ]);
  const crop = { left: 5, top: 3, width: 30, height: 36, size: 24 };
  const batch = cropFaces(faces, crop);
  assert.deepEqual(batch.shape, [3, 24, 24, 1]);
  const second = cropFaces(tf.slice(faces, [1, 0, 0, 0], [1, -1, -1, -1]), crop);
  const one = tf.slice(batch, [1, 0, 0, 0], [1, -1, -1, -1]);
  assert.ok(tf.max(tf.abs(tf.sub(one, second))).dataSync()[0] < 1e-5);

  const input = tf.input({ shape: [40, 40, 1] });
  const model = tf.model({
    inputs: input,
    outputs: new FaceCrop({ ...crop, name: "crop" }).apply(input) as tf.SymbolicTensor,
  });
  const loaded = await tf.models.modelFromJSON({ modelTopology: model.toJSON(undefined, false) });
  const out = loaded.predict(faces) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(out, batch))).dataSync()[0] < 1e-5);
  tf.dispose([faces, batch, second, one, out]);
  model.dispose(), loaded.dispose();
});

Deno.test("the crop models: prepared from the frame, reading their crops at 100x100, symmetric for mirroring", () => {
  for (const name of ["fisher100_512_headcrop_jb", "fisher100_512_facecrop_jb"]) {
    const model = getModel(name);
    assert.equal(model.inputSize, 154);
    assert.deepEqual([...model.preparedBox!], [...HEAD_AND_FACE_FRAME]);
    assert.match(model.description, /crop at \(\d+, \d+\) of the faces, resampled to 100x100/);
  }
  // A mirrored frame holds the mirrored crops only if every box shares the frame's centre line.
  const centre = ([l, , r]: readonly number[]) => (l + r) / 2;
  for (const box of [HEAD_AND_FACE_FRAME, FACE_BOXES.head, FACE_BOXES.face100]) {
    assert.equal(centre(box), 125);
  }
});

Deno.test("a descriptor model with a crop step: its descriptor and its encoder's fit read the crop", async () => {
  await selectBackend("cpu", { log: () => {} });
  const crop = { left: 2, top: 3, width: 10, height: 12, size: 8 };
  const read: number[][] = [];
  const model = descriptorModel({
    name: "cropped",
    code: [],
    about: "test",
    params: "cropped",
    features: 4,
    inputSize: 20,
    crop,
    descriptor: (images) => {
      read.push(images.shape);
      return tf.zeros([images.shape[0], 4]) as tf.Tensor2D;
    },
    layer: (name) => tf.layers.flatten({ name }),
    encoder: {
      params: [],
      fit(faces, count) {
        const batch = faces(0, count);
        read.push(batch.shape);
        batch.dispose();
        return Promise.resolve(new Map());
      },
    },
    head: "cosine",
  });
  assert.equal(model.inputSize, 20);
  await model.fitted!.encoder!.fit((_, n) => tf.zeros([n, 20, 20, 1]) as tf.Tensor4D, 3, 1);
  tf.tidy(() => model.fitted!.descriptor(tf.zeros([2, 20, 20, 1]) as tf.Tensor4D, {}));
  assert.deepEqual(read, [[3, 8, 8, 1], [2, 8, 8, 1]]);
});
