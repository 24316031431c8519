import assert from "node:assert/strict";
import sharp from "sharp";
import { PREPARE_DEFAULTS } from "../../lib/config/defaults.ts";
import {
  decodeImage,
  faceRegion,
  jpegOrientation,
  prepareFace,
  preprocessingSpec,
} from "../../lib/data/face_preprocessing.ts";
import { decodeJpegGrey, jpegDecoder } from "../../lib/data/native_jpeg.ts";
import { LUMA, resampleRect } from "../../lib/data/resample.ts";
import { noiseImage } from "../helpers/fixtures.ts";
import { needs } from "../helpers/tiers.ts";

/** A smooth colour test picture (noise alone would make every decoder's rounding visible). */
function picture(width: number, height: number): Uint8Array {
  const noise = noiseImage(width, height, 3, 5);
  return Uint8Array.from(noise, (v, i) => {
    const p = Math.floor(i / 3), x = p % width, y = Math.floor(p / width), c = i % 3;
    return Math.round(0.3 * v + 70 + 60 * Math.sin((x + 2 * c) / 9) + 40 * Math.cos(y / 13));
  });
}

async function jpeg(width: number, height: number, orientation?: number): Promise<Uint8Array> {
  let image = sharp(picture(width, height), { raw: { width, height, channels: 3 } }).jpeg({
    quality: 95,
  });
  if (orientation) image = image.withMetadata({ orientation });
  return new Uint8Array(await image.toBuffer());
}

Deno.test("the EXIF orientation of a JPEG is read from its APP1 segment; none means 1", async () => {
  assert.equal(jpegOrientation(await jpeg(40, 30)), 1);
  for (const o of [3, 6, 8]) assert.equal(jpegOrientation(await jpeg(40, 30, o)), o);
  assert.equal(jpegOrientation(new Uint8Array([0xff, 0xd8, 0xff])), 1);
});

Deno.test("a photo with an EXIF orientation is decoded upright, whichever decoder is built", async () => {
  // Orientation 6: the stored 40x30 picture is shown rotated a quarter turn, 30x40.
  const upright = await decodeImage(await jpeg(40, 30, 6), { grey: true });
  assert.deepEqual([upright.width, upright.height], [30, 40]);
});

Deno.test({
  name: "the native grey JPEG decode and sharp's colour decode agree to a few grey levels",
  ignore: needs("native"),
  fn: async () => {
    assert.ok(jpegDecoder().available);
    const bytes = await jpeg(250, 250);
    const grey = decodeJpegGrey(bytes);
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const colour = { width: info.width, height: info.height, channels: 3, pixels: new Uint8Array(data) };
    const region = faceRegion(grey, PREPARE_DEFAULTS);
    const a = resampleRect(grey, region, { size: 64, grey: true });
    const b = resampleRect(colour, region, { size: 64, grey: true });
    let worst = 0, total = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      total += Math.abs(a[i] - b[i]);
    }
    assert.ok(worst <= 3 && total / a.length < 1, `worst ${worst}, mean ${total / a.length}`);
    // Corrupt data is an error with libjpeg's reason, not a crash.
    assert.throws(() => decodeJpegGrey(bytes.subarray(0, 300)), /premature|corrupt|end of data|truncated/i);
  },
});

Deno.test("prepareFace: the LFWcrop box of the centred square, resampled and grey", async () => {
  const bytes = await jpeg(300, 250);
  const face = await prepareFace(bytes, PREPARE_DEFAULTS);
  assert.equal(face.length, 64 * 64);
  const image = await decodeImage(bytes, { grey: true });
  const region = faceRegion(image, PREPARE_DEFAULTS);
  assert.deepEqual(region, { left: 83 + 25, top: 92, width: 83, height: 83 });
  assert.deepEqual(face, resampleRect(image, region, { size: 64, grey: true }));
});

Deno.test("preprocessing.json's description carries the numbers the steps use", () => {
  const spec = preprocessingSpec(PREPARE_DEFAULTS, 32);
  assert.equal(spec.frame, 250);
  assert.deepEqual(spec.box, [...PREPARE_DEFAULTS.box]);
  assert.deepEqual(spec.luma, [...LUMA]);
  assert.equal(spec.faceSize, PREPARE_DEFAULTS.size);
  assert.equal(spec.inputSize, 32);
  assert.equal(spec.scale, 255);
  assert.ok(spec.steps.length >= 5);
});

Deno.test("why the resampler is not sharp's: its fractional box keeps the 150x150 copy's face closer to the 250x250 original's", async () => {
  // The same picture at 250x250 and at LFW's 150x150 scale (box x0.6: 49.8, 55.2, ... px).
  const width = 250;
  const original = await jpeg(width, width);
  const small = new Uint8Array(
    await sharp(original).resize(150, 150, { kernel: "linear" }).jpeg({ quality: 95 }).toBuffer(),
  );
  const ours = async (bytes: Uint8Array) => await prepareFace(bytes, PREPARE_DEFAULTS);
  // sharp cuts whole pixels only: the box rounded, then resized and converted by libvips.
  const viaSharp = async (bytes: Uint8Array, scale: number) => {
    const [l, t, r, b] = PREPARE_DEFAULTS.box.map((v) => Math.round(v * scale));
    return new Uint8Array(
      await sharp(bytes).extract({ left: l, top: t, width: r - l, height: b - t })
        .resize(64, 64, { kernel: "linear" }).greyscale().raw().toBuffer(),
    );
  };
  const meanDifference = (a: Uint8Array, b: Uint8Array) =>
    a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;
  const oursGap = meanDifference(await ours(original), await ours(small));
  const sharpGap = meanDifference(await viaSharp(original, 1), await viaSharp(small, 0.6));
  assert.ok(oursGap < sharpGap, `ours ${oursGap.toFixed(2)} vs sharp ${sharpGap.toFixed(2)} grey levels`);
});
