import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { FACE_BOXES } from "../../lib/config/defaults.ts";
import { cropFaces, HEAD_AND_FACE_FRAME } from "../../lib/model/face_crop.ts";
import {
  cropFacePixels,
  framedModel,
  framedParts,
  parseFramedSpec,
} from "../../lib/model/framed_model.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import { INFERENCE_CONTEXT } from "../../lib/train/forward_context.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

/** `count` frames of `size` x `size` bytes: smooth shapes and noise. */
function frames(count: number, size: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: count * size * size }, (_, i) => {
    const x = i % size, y = Math.floor(i / size) % size, k = Math.floor(i / (size * size));
    const v = 128 + 60 * Math.sin((x + 7 * k) / 9) * Math.cos(y / 13) +
      30 * (rng.nextFloat() - 0.5);
    return Math.max(0, Math.min(255, Math.round(v)));
  });
}

Deno.test("a framed network's name: written out with the boxes' pixels, one model however spelt", () => {
  const model = getModel("frame=head_and_face/crop=face100/seed64_cosface");
  assert.equal(model.name, "frame=48_50_202_204/crop=75_84_175_184/seed64_cosface");
  assert.equal(getModel(model.name), model);
  assert.equal(model.inputSize, 154);
  assert.deepEqual([...model.preparedBox!], [...HEAD_AND_FACE_FRAME]);
  assert.equal(model.embeddingSize, getModel("seed64_cosface").embeddingSize);
  assert.deepEqual(framedParts(model)!.crop, {
    left: 27,
    top: 34,
    width: 100,
    height: 100,
    size: 64,
  });
  assert.equal(framedParts(model)!.network, getModel("seed64_cosface"));
  assert.equal(framedParts(getModel("seed64_cosface")), undefined);
  // Without crop=, the network's usual box (the preparation's default, LFWcrop's).
  assert.equal(
    getModel("frame=head_and_face/seed_cosface").name,
    `frame=48_50_202_204/crop=${FACE_BOXES.lfwcrop.join("_")}/seed_cosface`,
  );
  assert.deepEqual(parseFramedSpec("crop=head/frame=10_10_240_240/seed"), {
    frame: [10, 10, 240, 240],
    crop: FACE_BOXES.head,
    network: "seed",
  });
});

Deno.test("a framed network's name: each mistake is a UserError naming it", () => {
  const cases: [string, RegExp][] = [
    ["crop=face100/seed64_cosface", /the frame=B step is missing/],
    ["frame=head_and_face/frame=head/seed64_cosface", /"frame" is given twice/],
    ["frame=head_and_face/pca=20/seed64_cosface", /step "pca=20" is not frame=B or crop=B/],
    ["frame=head_and_face/crop=1_2_3/seed64_cosface", /crop=1_2_3 is not a box name/],
    ["frame=0_0_100_120/crop=10_10_50_50/seed64_cosface", /frame 0_0_100_120 is not a square/],
    ["frame=head_and_face/crop=0_0_100_100/seed64_cosface", /crop 0_0_100_100 is not inside frame/],
    [
      "frame=head_and_face/fisher100_512_jb",
      /a descriptor model; a descriptor pipeline takes frame=/,
    ],
    [
      "frame=head_and_face/crop=60_84_160_184/seed64_cosface",
      /crop 60_84_160_184 is not centred across frame 48_50_202_204 \(15 pixels left/,
    ],
  ];
  for (const [name, message] of cases) {
    assert.throws(
      () => getModel(name),
      (e: Error) => e instanceof UserError && message.test(e.message),
      name,
    );
  }
  // A misspelt network is named as such, with the networks it could be.
  assert.throws(
    () => getModel("frame=head_and_face/seed64_cosfce"),
    (e: Error) =>
      e instanceof UserError &&
      /"seed64_cosfce" is neither a network \(seed, seed_cosface, seed64_cosface/.test(e.message) &&
      !e.message.includes("fisher100_512_jb"),
  );
  // Not a network: the inherited `constructor` is no model's name.
  assert.throws(() => getModel("frame=head_and_face/constructor"), UserError);
  assert.throws(
    () =>
      framedModel(
        getModel("frame=head_and_face/crop=face100/seed64_cosface"),
        HEAD_AND_FACE_FRAME,
        FACE_BOXES.face100,
      ),
    /already reads a crop/,
  );
});

Deno.test("cropFacePixels: each face read through the crop step's filter, rounded to bytes", async () => {
  await selectBackend("cpu", { log: () => {} });
  const size = 154, count = 3;
  const faces = frames(count, size, 5);
  const crop = { left: 27, top: 34, width: 100, height: 100, size: 64 };
  const cropped = cropFacePixels(faces, size, crop);
  assert.equal(cropped.length, count * 64 * 64);
  const exact = tf.tidy(() =>
    cropFaces(tf.tensor4d(Float32Array.from(faces), [count, size, size, 1]), crop).dataSync()
  );
  let worst = 0;
  for (let i = 0; i < cropped.length; i++) worst = Math.max(worst, Math.abs(cropped[i] - exact[i]));
  assert.ok(worst <= 0.5 + 1e-3, `differs by ${worst}`);
});

Deno.test("a framed network embeds a frame as its network embeds the crop", async () => {
  await selectBackend("cpu", { log: () => {} });
  const model = getModel("frame=head_and_face/crop=face100/seed64_cosface");
  const { network, crop } = framedParts(model)!;
  const values = initialParamArrays(model, new Rng(3));
  for (const [key, v] of values) {
    if (key.endsWith("moving_variance")) v.fill(2);
  }
  const params = new ModelParams(model, values);
  const faces = frames(2, 154, 6);
  const [framed, direct, shifted] = tf.tidy(() => {
    const p = params.tensors();
    const whole = tf.tensor4d(Float32Array.from(faces, (v) => v / 255), [2, 154, 154, 1]);
    const crops = tf.tensor4d(
      Float32Array.from(cropFacePixels(faces, 154, crop), (v) => v / 255),
      [2, 64, 64, 1],
    );
    // A control: the crop 8 pixels to the right, which the comparison must tell apart.
    const moved = tf.tensor4d(
      Float32Array.from(
        cropFacePixels(faces, 154, { ...crop, left: crop.left + 8 }),
        (v) => v / 255,
      ),
      [2, 64, 64, 1],
    );
    return [
      model.embed(p, whole, INFERENCE_CONTEXT).dataSync(),
      network.embed(p, crops, INFERENCE_CONTEXT).dataSync(),
      network.embed(p, moved, INFERENCE_CONTEXT).dataSync(),
    ];
  });
  params.dispose();
  const size = framed.length / 2;
  const cosine = (x: ArrayLike<number>, y: ArrayLike<number>, face: number) => {
    let dot = 0, a = 0, b = 0;
    for (let i = face * size; i < (face + 1) * size; i++) {
      dot += x[i] * y[i], a += x[i] ** 2, b += y[i] ** 2;
    }
    return dot / Math.sqrt(a * b);
  };
  // The crops the network trains on are rounded to bytes; the frame's crop is not.
  for (const face of [0, 1]) {
    const same = cosine(framed, direct, face), moved = cosine(framed, shifted, face);
    assert.ok(same > 0.999, `face ${face}: cosine ${same}`);
    assert.ok(moved < same - 10 * (1 - same), `face ${face}: moved ${moved} against ${same}`);
  }
});
