import assert from "node:assert/strict";
import {
  AffineAugmenter,
  AUGMENT_DEFAULTS,
  IDENTITY_TRANSFORM,
} from "../../lib/augment/affine_augmenter.ts";
import { Rng } from "../../lib/util/rng.ts";
import { noiseImage } from "../helpers/fixtures.ts";

const SIZE = 32;
const image = noiseImage(SIZE, SIZE, 1, 9);
const augmenter = new AffineAugmenter(AUGMENT_DEFAULTS, SIZE);

Deno.test("the identity transform returns the input, scaled to [0, 1]", () => {
  const out = new Float32Array(SIZE * SIZE);
  augmenter.apply(image, IDENTITY_TRANSFORM, out);
  out.forEach((v, i) => assert.ok(Math.abs(v - image[i] / 255) < 1e-6));
});

Deno.test("flipping twice is the identity, and one flip mirrors the rows", () => {
  const once = new Float32Array(SIZE * SIZE);
  augmenter.apply(image, { ...IDENTITY_TRANSFORM, flip: true }, once);
  assert.ok(Math.abs(once[0] - image[SIZE - 1] / 255) < 1e-6);
  const back = new Float32Array(SIZE * SIZE);
  augmenter.apply(
    Float32Array.from(once, (v) => v * 255),
    { ...IDENTITY_TRANSFORM, flip: true },
    back,
  );
  back.forEach((v, i) => assert.ok(Math.abs(v - image[i] / 255) < 1e-5));
});

Deno.test("drawn parameters stay within their ranges and vary", () => {
  const rng = new Rng(4);
  const draws = Array.from({ length: 2000 }, () => augmenter.sample(rng));
  for (const t of draws) {
    for (const s of [t.scaleX, t.scaleY]) assert.ok(s >= 1 / 1.1 - 1e-9 && s <= 1.1 + 1e-9);
    assert.ok(Math.abs(t.rotationDegrees) <= 20 && Math.abs(t.shearDegrees) <= 6);
    assert.ok(Math.abs(t.translateX) <= 4 && Math.abs(t.translateY) <= 4);
  }
  const flips = draws.filter((t) => t.flip).length;
  assert.ok(flips > 900 && flips < 1100, `${flips} flips of 2000`);
  assert.ok(Math.max(...draws.map((t) => t.rotationDegrees)) > 19);
});

Deno.test("augmented images keep their shape and value range and differ from the input", () => {
  const rng = new Rng(5);
  const out = new Float32Array(3 * SIZE * SIZE).fill(-1);
  augmenter.apply(image, augmenter.sample(rng), out, SIZE * SIZE);
  const middle = out.subarray(SIZE * SIZE, 2 * SIZE * SIZE);
  assert.ok(middle.every((v) => v >= 0 && v <= 1));
  assert.ok(out.subarray(0, SIZE * SIZE).every((v) => v === -1), "writes only its own slot");
  assert.ok(middle.some((v, i) => Math.abs(v - image[i] / 255) > 0.05));
});
