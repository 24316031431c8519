import assert from "node:assert/strict";
import { join } from "node:path";
import { PREPARE_DEFAULTS } from "../../lib/config/defaults.ts";
import { detectImageSource } from "../../lib/data/image_source.ts";
import { decodeFace, prepareFaces } from "../../lib/data/prepare_faces.ts";
import { UserError } from "../../lib/util/errors.ts";
import { noiseImage, tempDir, writeJpegFolder, writePgmFolder } from "../helpers/fixtures.ts";
import { encodePgm } from "../../lib/data/pgm.ts";
import sharp from "sharp";

Deno.test("JPEGs get the LFWcrop box: a 250x250 and a 150x150 copy give the same face", async () => {
  // A picture whose box region is bright and the rest dark: the crop must be all bright.
  const make = async (size: number, path: string) => {
    const s = size / 250;
    const pixels = new Uint8Array(size * size * 3).fill(10);
    for (let y = Math.ceil(92 * s); y < Math.floor(175 * s); y++) {
      for (let x = Math.ceil(83 * s); x < Math.floor(166 * s); x++) {
        pixels.fill(230, (y * size + x) * 3, (y * size + x) * 3 + 3);
      }
    }
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path);
  };
  const dir = tempDir();
  Deno.mkdirSync(join(dir, "Big_Face"));
  Deno.mkdirSync(join(dir, "Small_Face"));
  await make(250, join(dir, "Big_Face", "Big_Face_0001.png"));
  await make(150, join(dir, "Small_Face", "Small_Face_0001.png"));
  const { faces } = await prepareFaces(detectImageSource(dir), PREPARE_DEFAULTS);
  assert.equal(faces.size, 64);
  assert.equal(faces.pixels.length, 2 * 64 * 64);
  // Inside the box, away from its edges (where partial pixels blend), everything is bright.
  for (let img = 0; img < 2; img++) {
    for (let y = 3; y < 61; y++) {
      for (let x = 3; x < 61; x++) {
        assert.ok(faces.pixels[img * 4096 + y * 64 + x] > 200, `image ${img} at ${x},${y}`);
      }
    }
  }
});

Deno.test("PGM faces of the output size pass through unchanged; other sizes are resized", async () => {
  const dir = tempDir();
  writePgmFolder(dir, { people: 2, perPerson: 1 });
  const source = detectImageSource(dir);
  const { faces } = await prepareFaces(source, PREPARE_DEFAULTS);
  assert.deepEqual(faces.pixels.subarray(0, 4096), noiseImage(64, 64, 1, 1));
  assert.deepEqual(faces.entries.map((e) => e.person), ["Pgm_Person0", "Pgm_Person1"]);
  const small = await prepareFaces(source, { ...PREPARE_DEFAULTS, size: 32 });
  assert.equal(small.faces.pixels.length, 2 * 32 * 32);
  const colour = await prepareFaces(source, { ...PREPARE_DEFAULTS, grey: false });
  assert.equal(colour.faces.channels, 3);
  assert.equal(colour.faces.pixels[0], colour.faces.pixels[2]);
});

Deno.test("a corrupt image is an error naming it, or skipped and counted with skipBad", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 2, perPerson: 2, size: 100 });
  const bad = join(dir, "Person_B1", "Person_B1_0002.jpg");
  const bytes = Deno.readFileSync(bad);
  Deno.writeFileSync(bad, bytes.subarray(0, bytes.length / 3));
  await assert.rejects(
    () => prepareFaces(detectImageSource(dir), PREPARE_DEFAULTS),
    (e: Error) => e instanceof UserError && e.message.includes(bad),
  );
  const { faces, skipped } = await prepareFaces(detectImageSource(dir), {
    ...PREPARE_DEFAULTS,
    skipBad: true,
  });
  assert.equal(faces.entries.length, 3);
  assert.deepEqual(skipped.map((s) => s.file), ["Person_B1/Person_B1_0002.jpg"]);
  const pgmDir = tempDir();
  Deno.writeFileSync(
    join(pgmDir, "Some_One_0001.pgm"),
    encodePgm({ width: 4, height: 4, pixels: new Uint8Array(16) }).subarray(0, 12),
  );
  await assert.rejects(
    () => prepareFaces(detectImageSource(pgmDir), PREPARE_DEFAULTS),
    /Some_One_0001\.pgm: truncated PGM/,
  );
});

Deno.test("a skipped image leaves no gap: every kept face is the one its entry names", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 2, perPerson: 2, size: 100 });
  const bad = join(dir, "Person_A0", "Person_A0_0001.jpg");
  Deno.writeFileSync(bad, Deno.readFileSync(bad).subarray(0, 200));
  const params = { ...PREPARE_DEFAULTS, skipBad: true };
  const { faces, skipped } = await prepareFaces(detectImageSource(dir), params);
  assert.deepEqual(skipped.map((s) => s.file), ["Person_A0/Person_A0_0001.jpg"]);
  const per = faces.size * faces.size * faces.channels;
  assert.equal(faces.pixels.length, 3 * per);
  for (const [i, entry] of faces.entries.entries()) {
    const alone = await decodeFace(join(dir, entry.file), params);
    assert.deepEqual(faces.pixels.subarray(i * per, (i + 1) * per), alone, entry.file);
  }
});

Deno.test("a face size the machine has no memory for is refused before any image is decoded", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 1, perPerson: 2, size: 60 });
  const size = Math.ceil(Math.sqrt(Deno.systemMemoryInfo().total));
  await assert.rejects(
    () => prepareFaces(detectImageSource(dir), { ...PREPARE_DEFAULTS, size }),
    (e: Error) =>
      e instanceof UserError &&
      new RegExp(
        `^--size ${size}: 2 faces need [0-9.]+ GB of memory, more than the [0-9.]+ GB available`,
      )
        .test(e.message),
  );
});

Deno.test("a large JPEG folder (decoded natively on workers where built) gives each image's own face; a corrupt one is skipped", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 30, perPerson: 7, size: 100 });
  const bad = join(dir, "Person_C2", "Person_C2_0003.jpg");
  Deno.writeFileSync(bad, Deno.readFileSync(bad).subarray(0, 300));
  const params = { ...PREPARE_DEFAULTS, skipBad: true };
  const { faces, skipped } = await prepareFaces(detectImageSource(dir), params);
  assert.deepEqual(skipped.map((s) => s.file), ["Person_C2/Person_C2_0003.jpg"]);
  assert.equal(faces.entries.length, 209);
  const per = faces.size * faces.size;
  for (const i of [0, 1, 17, 100, 208]) {
    const entry = faces.entries[i];
    const alone = await decodeFace(join(dir, entry.file), params);
    assert.deepEqual(faces.pixels.subarray(i * per, (i + 1) * per), alone, entry.file);
  }
  await assert.rejects(
    () => prepareFaces(detectImageSource(dir), PREPARE_DEFAULTS),
    (e: Error) => e instanceof UserError && e.message.includes("Person_C2_0003.jpg"),
  );
});

/** Runs `work` and returns it with what it wrote to stderr (warnings and progress lines). */
async function withStderr<T>(work: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const writeSync = Deno.stderr.writeSync;
  const warn = console.warn;
  let stderr = "";
  // deno-lint-ignore no-explicit-any
  (Deno.stderr as any).writeSync = (bytes: Uint8Array) => {
    stderr += new TextDecoder().decode(bytes);
    return bytes.length;
  };
  console.warn = (...args: unknown[]) => void (stderr += args.join(" ") + "\n");
  try {
    return { result: await work(), stderr };
  } finally {
    // deno-lint-ignore no-explicit-any
    (Deno.stderr as any).writeSync = writeSync;
    console.warn = warn;
  }
}

/** A JPEG whose header (SOF) claims `width` x `height`, with a 16x16 image's data. */
async function jpegClaiming(width: number, height: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(
    await sharp(noiseImage(16, 16, 3, 1), { raw: { width: 16, height: 16, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
  for (let p = 2; p + 9 < bytes.length; p++) {
    if (bytes[p] === 0xff && (bytes[p + 1] === 0xc0 || bytes[p + 1] === 0xc2)) {
      bytes.set([height >> 8, height & 255, width >> 8, width & 255], p + 5);
      return bytes;
    }
  }
  throw new Error("no SOF marker");
}

Deno.test("a JPEG whose header claims 65000x65000 pixels is a one-line error naming the file: too large", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 1, perPerson: 2, size: 60 });
  const huge = join(dir, "Person_A0", "Person_A0_0002.jpg");
  Deno.writeFileSync(huge, await jpegClaiming(65000, 65000));
  for (const grey of [true, false]) {
    await assert.rejects(
      () => prepareFaces(detectImageSource(dir), { ...PREPARE_DEFAULTS, grey }),
      (e: Error) =>
        e instanceof UserError && !e.message.includes("\n") &&
        e.message.startsWith(`image ${huge} is too large to prepare: `) &&
        /use --skip-bad to skip it/.test(e.message),
      `grey ${grey}`,
    );
  }
  const { result } = await withStderr(() =>
    prepareFaces(detectImageSource(dir), { ...PREPARE_DEFAULTS, skipBad: true })
  );
  assert.deepEqual(result.skipped.map((s) => s.file), ["Person_A0/Person_A0_0002.jpg"]);
});

Deno.test("an image too small for the box is an error about the box, not a corrupt image", async () => {
  const dir = tempDir();
  // 40x40: LFWcrop's 83-pixel box would be 13 pixels of it, under the 16 a face needs.
  await writeJpegFolder(dir, { people: 1, perPerson: 1, size: 40 });
  await assert.rejects(
    () => prepareFaces(detectImageSource(dir), PREPARE_DEFAULTS),
    (e: Error) =>
      e instanceof UserError &&
      e.message.startsWith(
        `image ${join(dir, "Person_A0", "Person_A0_0001.jpg")} does not fit --box 83,92,166,175: `,
      ) && /too small/.test(e.message) && !/corrupt/.test(e.message),
  );
});

Deno.test("--skip-bad warns of each file it skips, badly named ones included", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 2, perPerson: 2, size: 60 });
  Deno.copyFileSync(
    join(dir, "Person_A0", "Person_A0_0001.jpg"),
    join(dir, "Person_A0", "holiday.jpg"),
  );
  const corrupt = join(dir, "Person_B1", "Person_B1_0002.jpg");
  Deno.writeFileSync(corrupt, Deno.readFileSync(corrupt).subarray(0, 100));
  const { result, stderr } = await withStderr(() =>
    prepareFaces(detectImageSource(dir, { skipBad: true }), { ...PREPARE_DEFAULTS, skipBad: true })
  );
  assert.deepEqual(result.skipped.map((s) => s.file).sort(), [
    "Person_A0/holiday.jpg",
    "Person_B1/Person_B1_0002.jpg",
  ]);
  assert.match(
    stderr,
    new RegExp(
      `warning: skipping ${join(dir, "Person_A0", "holiday.jpg")}: is not named Person_Name_NNNN`,
    ),
  );
  assert.match(stderr, new RegExp(`warning: skipping ${corrupt}: `));
});

Deno.test("progress counts each image once when workers hand images back to the main thread", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 30, perPerson: 7, size: 60 });
  // PNG files are handed back by the native-JPEG workers and prepared on the main thread.
  for (const n of ["0008", "0009"]) {
    await sharp(noiseImage(60, 60, 3, 5), { raw: { width: 60, height: 60, channels: 3 } })
      .png()
      .toFile(join(dir, "Person_A0", `Person_A0_${n}.png`));
  }
  const { result, stderr } = await withStderr(() =>
    prepareFaces(detectImageSource(dir), PREPARE_DEFAULTS)
  );
  assert.equal(result.faces.entries.length, 212);
  assert.match(stderr, /prepare: 212\/212 images/);
});
