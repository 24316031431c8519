import assert from "node:assert/strict";
import sharp from "sharp";
import { findErrors, renderPairGrid } from "../../lib/evaluate/error_gallery.ts";

const pairs = [
  { a: 0, b: 1, same: true },
  { a: 2, b: 3, same: false },
  { a: 0, b: 2, same: false },
  { a: 1, b: 3, same: true },
  { a: 1, b: 2, same: false },
];
const probabilities = [0.2, 0.9, 0.6, 0.05, 0.3];

Deno.test("errors are listed most confident first, within the limit", () => {
  const errors = findErrors(pairs, probabilities, {
    threshold: 0.5,
    limit: 10,
    fileOf: (i) => `f${i}`,
  });
  assert.deepEqual(errors.falsePositives.map((e) => e.pair), [1, 2]);
  assert.deepEqual(errors.falseNegatives.map((e) => e.pair), [3, 0]);
  assert.deepEqual(errors.falsePositives[0], { pair: 1, a: "f2", b: "f3", probability: 0.9 });
  assert.equal(
    findErrors(pairs, probabilities, { threshold: 0.5, limit: 1, fileOf: String }).falsePositives
      .length,
    1,
  );
});

Deno.test("the gallery is a PNG grid with both faces of each pair", async () => {
  const faces = {
    size: 4,
    channels: 1,
    pixels: Uint8Array.from({ length: 4 * 16 }, (_, i) => Math.floor(i / 16) * 50),
    entries: [],
  };
  const png = await renderPairGrid(faces, [{ a: 1, b: 2 }, { a: 3, b: 0 }, { a: 2, b: 2 }], {
    columns: 2,
  });
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({
    resolveWithObject: true,
  });
  // 2 columns of (4 + 4 gap + 4) px with 8 px margins; 2 rows of 4 px with 8 px margins.
  assert.deepEqual([info.width, info.height], [8 + 2 * (12 + 8), 8 + 2 * (4 + 8)]);
  assert.equal(data[8 * info.width + 8], 50, "first pair, left face");
  assert.equal(data[8 * info.width + 16], 100, "first pair, right face");
  assert.equal(data[0], 255, "white margin");
});
