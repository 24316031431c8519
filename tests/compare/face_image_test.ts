import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { PREPARE_DEFAULTS } from "../../lib/config/defaults.ts";
import { faceRegion, readFaceImage } from "../../lib/compare/face_image.ts";
import { encodePgm } from "../../lib/data/pgm.ts";
import { UserError } from "../../lib/util/errors.ts";
import { noiseImage, tempDir } from "../helpers/fixtures.ts";

Deno.test("face regions: the LFW box on 250x250, scaled to the centred square elsewhere, or --box", () => {
  assert.deepEqual(faceRegion({ width: 250, height: 250 }, PREPARE_DEFAULTS), {
    left: 83,
    top: 92,
    width: 83,
    height: 83,
  });
  const wide = faceRegion({ width: 700, height: 500 }, PREPARE_DEFAULTS);
  assert.ok(
    Math.abs(wide.left - (100 + 83 * 2)) < 1e-9 && Math.abs(wide.top - 92 * 2) < 1e-9 &&
      Math.abs(wide.width - 166) < 1e-9,
  );
  assert.deepEqual(
    faceRegion({ width: 100, height: 80 }, PREPARE_DEFAULTS, [10, 5, 50, 55]),
    { left: 10, top: 5, width: 40, height: 50 },
  );
  assert.throws(
    () => faceRegion({ width: 100, height: 80 }, PREPARE_DEFAULTS, [70, 5, 110, 55]),
    /does not fit a 100x80 image/,
  );
});

Deno.test("PNG, WebP and JPEG photos of any size give prepared faces; PGM faces pass through", async () => {
  const dir = tempDir();
  const pixels = noiseImage(320, 240, 3, 4);
  for (const ext of ["png", "webp", "jpg"]) {
    await sharp(pixels, { raw: { width: 320, height: 240, channels: 3 } }).toFormat(
      ext === "jpg" ? "jpeg" : ext as "png",
    ).toFile(join(dir, `face.${ext}`));
    const face = await readFaceImage(join(dir, `face.${ext}`), PREPARE_DEFAULTS);
    assert.equal(face.length, 64 * 64, ext);
  }
  const pgm = noiseImage(64, 64, 1, 5);
  Deno.writeFileSync(
    join(dir, "Some_One_0001.pgm"),
    encodePgm({ width: 64, height: 64, pixels: pgm }),
  );
  assert.deepEqual(await readFaceImage(join(dir, "Some_One_0001.pgm"), PREPARE_DEFAULTS), pgm);
});

Deno.test("missing, corrupt and non-image files are errors naming the file", async () => {
  const dir = tempDir();
  await assert.rejects(
    () => readFaceImage(join(dir, "none.jpg"), PREPARE_DEFAULTS),
    (e: Error) => e instanceof UserError && /image not found: .*none\.jpg/.test(e.message),
  );
  Deno.writeTextFileSync(join(dir, "notes.jpg"), "not a picture");
  await assert.rejects(
    () => readFaceImage(join(dir, "notes.jpg"), PREPARE_DEFAULTS),
    /unreadable image .*notes\.jpg/,
  );
  Deno.writeFileSync(join(dir, "bad.pgm"), new TextEncoder().encode("P5\n64 64\n255\n"));
  await assert.rejects(
    () => readFaceImage(join(dir, "bad.pgm"), PREPARE_DEFAULTS),
    /unreadable image .*bad\.pgm: truncated PGM/,
  );
  await assert.rejects(
    () => readFaceImage(dir, PREPARE_DEFAULTS),
    /not an image file but a folder/,
  );
});
