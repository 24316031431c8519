import assert from "node:assert/strict";
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "../../lib/util/atomic.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

Deno.test("atomic writes create parent folders, replace the file and leave no temporary", async () => {
  const dir = tempDir();
  const path = join(dir, "a", "b", "x.json");
  await writeJsonAtomic(path, { n: 1 });
  await writeJsonAtomic(path, { n: 2 });
  assert.deepEqual(await readJsonIfExists(path), { n: 2 });
  assert.deepEqual([...Deno.readDirSync(join(dir, "a", "b"))].map((e) => e.name), ["x.json"]);
  await writeFileAtomic(join(dir, "bytes.bin"), Uint8Array.from([1, 2, 3]));
  assert.deepEqual([...Deno.readFileSync(join(dir, "bytes.bin"))], [1, 2, 3]);
  assert.equal(await readJsonIfExists(join(dir, "missing.json")), undefined);
});

Deno.test("a failed atomic write leaves the old file intact", async () => {
  const dir = tempDir();
  const path = join(dir, "keep.txt");
  await writeFileAtomic(path, new TextEncoder().encode("old"));
  Deno.mkdirSync(join(dir, "blocker"));
  // Renaming a file onto a folder fails: the old content must survive and no temporary remain.
  await assert.rejects(() =>
    writeFileAtomic(join(dir, "blocker"), new TextEncoder().encode("new"))
  );
  assert.equal(Deno.readTextFileSync(path), "old");
  assert.ok([...Deno.readDirSync(dir)].every((e) => !e.name.endsWith(".tmp")));
});

Deno.test("a folder that cannot be made where asked is a user error naming the file", async () => {
  // /proc holds no new folders: mkdir with parents reports ENOENT there.
  await assert.rejects(
    () => writeFileAtomic("/proc/face_comparer_test/out/model.json", new Uint8Array(1)),
    (e: Error) =>
      e instanceof UserError &&
      e.message ===
        "cannot write /proc/face_comparer_test/out/model.json: a folder cannot be created there",
  );
});
