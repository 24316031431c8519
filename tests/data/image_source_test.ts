import assert from "node:assert/strict";
import { join } from "node:path";
import { detectImageSource } from "../../lib/data/image_source.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, writeJpegFolder, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("detects LFWcrop PGM faces in a faces/ folder or directly", () => {
  const dir = tempDir();
  writePgmFolder(dir, { people: 2, perPerson: 2 });
  const viaParent = detectImageSource(dir);
  assert.equal(viaParent.kind, "lfwcrop-pgm");
  assert.equal(viaParent.dir, join(dir, "faces"));
  assert.equal(viaParent.images.length, 4);
  assert.deepEqual(viaParent.images[0], {
    file: "Pgm_Person0_0001.pgm",
    person: "Pgm_Person0",
    number: 1,
  });
  assert.equal(detectImageSource(join(dir, "faces")).kind, "lfwcrop-pgm");
});

Deno.test("detects LFW per-person JPEG folders, sorted by file", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 2, perPerson: 2, size: 40 });
  Deno.writeTextFileSync(join(dir, "README.txt"), "not an image");
  const source = detectImageSource(dir);
  assert.equal(source.kind, "lfw-jpeg");
  assert.deepEqual(source.images.map((i) => i.file), [
    "Person_A0/Person_A0_0001.jpg",
    "Person_A0/Person_A0_0002.jpg",
    "Person_B1/Person_B1_0001.jpg",
    "Person_B1/Person_B1_0002.jpg",
  ]);
});

Deno.test("bad folders and names give errors naming the path", async () => {
  assert.throws(
    () => detectImageSource("/no/such/folder"),
    (e: Error) => e instanceof UserError && /not found: \/no\/such\/folder/.test(e.message),
  );
  const empty = tempDir();
  assert.throws(() => detectImageSource(empty), /images folder is empty/);
  const junk = tempDir();
  Deno.writeTextFileSync(join(junk, "notes.txt"), "x");
  assert.throws(() => detectImageSource(junk), /holds neither/);
  const badName = tempDir();
  await writeJpegFolder(badName, { people: 1, perPerson: 1, size: 40 });
  Deno.copyFileSync(
    join(badName, "Person_A0", "Person_A0_0001.jpg"),
    join(badName, "Person_A0", "holiday.jpg"),
  );
  assert.throws(() => detectImageSource(badName), /holiday\.jpg is not named Person_Name_NNNN/);
  const skipped = detectImageSource(badName, { skipBad: true });
  assert.deepEqual(skipped.bad, [
    { file: "Person_A0/holiday.jpg", reason: "is not named Person_Name_NNNN.ext" },
  ]);
  assert.equal(skipped.images.length, 1);
  Deno.copyFileSync(
    join(badName, "Person_A0", "Person_A0_0001.jpg"),
    join(badName, "Person_A0", "Other_Guy_0001.jpg"),
  );
  assert.throws(
    () => detectImageSource(badName),
    /in the folder of Person_A0 but named for Other_Guy/,
  );
});

Deno.test("symbolic links are followed: linked files and linked person folders are images", async () => {
  const real = tempDir();
  await writeJpegFolder(real, { people: 2, perPerson: 2, size: 40 });
  // A folder of person folders whose files are links, and a linked person folder.
  const links = tempDir();
  Deno.mkdirSync(join(links, "Person_A0"));
  for (const n of ["0001", "0002"]) {
    Deno.symlinkSync(
      join(real, "Person_A0", `Person_A0_${n}.jpg`),
      join(links, "Person_A0", `Person_A0_${n}.jpg`),
    );
  }
  Deno.symlinkSync(join(real, "Person_B1"), join(links, "Person_B1"));
  const source = detectImageSource(links);
  assert.equal(source.kind, "lfw-jpeg");
  assert.deepEqual(source.images.map((i) => i.file), [
    "Person_A0/Person_A0_0001.jpg",
    "Person_A0/Person_A0_0002.jpg",
    "Person_B1/Person_B1_0001.jpg",
    "Person_B1/Person_B1_0002.jpg",
  ]);
  // A link to nothing is named, not taken for an empty layout; --skip-bad leaves it out.
  Deno.symlinkSync(join(real, "gone.jpg"), join(links, "Person_A0", "Person_A0_0003.jpg"));
  assert.throws(
    () => detectImageSource(links),
    (e: Error) =>
      e instanceof UserError &&
      e.message ===
        `${join(links, "Person_A0", "Person_A0_0003.jpg")} is a symbolic link to nothing`,
  );
  const skipped = detectImageSource(links, { skipBad: true });
  assert.equal(skipped.images.length, 4);
  assert.deepEqual(skipped.bad.map((b) => b.file), ["Person_A0/Person_A0_0003.jpg"]);
  // A folder of links to nothing only says so.
  const dangling = tempDir();
  Deno.symlinkSync(join(real, "nowhere"), join(dangling, "Some_One"));
  assert.throws(
    () => detectImageSource(dangling),
    /holds neither .*1 symbolic links to nothing, e\.g\. Some_One/,
  );
});

Deno.test("two files of one image (X_0001.jpg and X_0001.JPG) are refused naming both, or the second skipped", async () => {
  const dir = tempDir();
  await writeJpegFolder(dir, { people: 1, perPerson: 2, size: 40 });
  const first = join(dir, "Person_A0", "Person_A0_0001.jpg");
  const second = join(dir, "Person_A0", "Person_A0_0001.JPG");
  Deno.copyFileSync(first, second);
  assert.throws(
    () => detectImageSource(dir),
    (e: Error) =>
      e instanceof UserError &&
      e.message === `${first} is a second file of image Person_A0_0001, beside ${second}`,
  );
  const skipped = detectImageSource(dir, { skipBad: true });
  assert.deepEqual(skipped.images.map((i) => i.file), [
    "Person_A0/Person_A0_0001.JPG",
    "Person_A0/Person_A0_0002.jpg",
  ]);
  assert.deepEqual(skipped.bad.map((b) => b.file), ["Person_A0/Person_A0_0001.jpg"]);
  // PGM faces too.
  const pgm = tempDir();
  writePgmFolder(pgm, { people: 1, perPerson: 1 });
  Deno.copyFileSync(
    join(pgm, "faces", "Pgm_Person0_0001.pgm"),
    join(pgm, "faces", "Pgm_Person0_0001.PGM"),
  );
  assert.throws(() => detectImageSource(pgm), /is a second file of image Pgm_Person0_0001/);
});
