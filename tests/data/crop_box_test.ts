import assert from "node:assert/strict";
import { scaleCropBox } from "../../lib/data/crop_box.ts";

const BOX = [83, 92, 166, 175] as const;

Deno.test("the LFWcrop box is unchanged on a 250x250 image", () => {
  assert.deepEqual(scaleCropBox(BOX, { width: 250, height: 250 }), {
    left: 83,
    top: 92,
    width: 83,
    height: 83,
  });
});

Deno.test("the box scales by 0.6 on the 150x150 copy, keeping fractional edges", () => {
  const r = scaleCropBox(BOX, { width: 150, height: 150 });
  assert.ok(Math.abs(r.left - 49.8) < 1e-9);
  assert.ok(Math.abs(r.top - 55.2) < 1e-9);
  assert.ok(Math.abs(r.width - 49.8) < 1e-9);
  assert.ok(Math.abs(r.height - 49.8) < 1e-9);
});

Deno.test("a box outside the image or empty is refused", () => {
  assert.throws(() => scaleCropBox([83, 92, 83, 175], { width: 250, height: 250 }), RangeError);
  assert.throws(() => scaleCropBox([200, 92, 300, 175], { width: 250, height: 250 }), RangeError);
});

Deno.test("a box outside its frame blames the box; a tiny image is too small for a face", () => {
  assert.throws(
    () => scaleCropBox([83, 92, 300, 175], { width: 150, height: 150 }),
    /crop box \[83,92,300,175\] is not a box inside the 250x250 frame/,
  );
  assert.throws(
    () => scaleCropBox(BOX, { width: 1, height: 1 }),
    /a 1x1 image is too small: its face box would be 0\.3x0\.3 px \(at least 16 px needed\)/,
  );
  assert.ok(scaleCropBox(BOX, { width: 49, height: 49 }).width >= 16);
});
