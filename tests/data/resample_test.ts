import assert from "node:assert/strict";
import { resampleRect } from "../../lib/data/resample.ts";
import { noiseImage } from "../helpers/fixtures.ts";

Deno.test("resampling the whole image at its own size is the identity", () => {
  const pixels = noiseImage(16, 16, 1, 5);
  const out = resampleRect({ width: 16, height: 16, channels: 1, pixels }, {
    left: 0,
    top: 0,
    width: 16,
    height: 16,
  }, {
    size: 16,
    grey: true,
  });
  assert.deepEqual(out, pixels);
});

Deno.test("a constant colour stays constant and converts to BT.601 grey", () => {
  const pixels = new Uint8Array(30 * 30 * 3);
  for (let i = 0; i < pixels.length; i += 3) pixels.set([200, 100, 50], i);
  const image = { width: 30, height: 30, channels: 3, pixels };
  const rect = { left: 3.3, top: 4.7, width: 20.5, height: 20.5 };
  const grey = resampleRect(image, rect, { size: 8, grey: true });
  assert.ok(grey.every((v) => v === Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)));
  const colour = resampleRect(image, rect, { size: 8, grey: false });
  assert.equal(colour.length, 8 * 8 * 3);
  assert.deepEqual([...colour.subarray(0, 3)], [200, 100, 50]);
});

Deno.test("downscaling by 2 keeps the mean and the bright/dark layout", () => {
  const pixels = Uint8Array.from([
    0,
    100,
    200,
    40,
    100,
    0,
    40,
    200,
    10,
    10,
    20,
    20,
    10,
    10,
    20,
    20,
  ]);
  const out = resampleRect({ width: 4, height: 4, channels: 1, pixels }, {
    left: 0,
    top: 0,
    width: 4,
    height: 4,
  }, {
    size: 2,
    grey: true,
  });
  // The triangle filter of support 2 weights the inner pixels more, so check the ordering and
  // the overall mean rather than exact box averages.
  assert.equal(out.length, 4);
  const mean = out.reduce((s, v) => s + v, 0) / 4;
  const srcMean = pixels.reduce((s, v) => s + v, 0) / 16;
  assert.ok(Math.abs(mean - srcMean) < 8, `${mean} vs ${srcMean}`);
  assert.ok(out[2] < out[0] && out[3] < out[1]);
});
