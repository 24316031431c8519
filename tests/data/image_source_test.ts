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
  assert.deepEqual(skipped.badNames, ["Person_A0/holiday.jpg"]);
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
