import assert from "node:assert/strict";
import { join } from "node:path";
import { hashFolder, hashInputFile } from "../../lib/pipeline/content_hash.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

Deno.test("a folder's hash follows its content, with or without the remembered state", async () => {
  const dir = tempDir();
  const state = join(tempDir(), "state.json");
  Deno.mkdirSync(join(dir, "sub"));
  Deno.writeTextFileSync(join(dir, "sub", "a.txt"), "a");
  Deno.writeTextFileSync(join(dir, "b.txt"), "b");
  const h1 = await hashFolder(dir, { stateFile: state });
  assert.equal(await hashFolder(dir, { stateFile: state }), h1);
  assert.equal(await hashFolder(dir), h1);
  Deno.writeTextFileSync(join(dir, "b.txt"), "B");
  const h2 = await hashFolder(dir, { stateFile: state });
  assert.notEqual(h2, h1);
  Deno.renameSync(join(dir, "b.txt"), join(dir, "c.txt"));
  assert.notEqual(await hashFolder(dir, { stateFile: state }), h2);
});

Deno.test("missing inputs are user errors naming the path", async () => {
  await assert.rejects(
    () => hashFolder("/no/such/dir"),
    (e: Error) => e instanceof UserError && e.message.includes("/no/such/dir"),
  );
  await assert.rejects(
    () => hashInputFile("/no/such/file.txt", "protocol pairs file"),
    /protocol pairs file not found: \/no\/such\/file\.txt/,
  );
});

Deno.test("a garbage or truncated state file is a cache miss, then rewritten", async () => {
  const dir = tempDir();
  Deno.writeTextFileSync(join(dir, "a.txt"), "a");
  const expected = await hashFolder(dir);
  for (const garbage of ["{not json", "[1,2]", '{"x": 1', "null"]) {
    const state = join(tempDir(), "state.json");
    Deno.writeTextFileSync(state, garbage);
    assert.equal(await hashFolder(dir, { stateFile: state }), expected);
    assert.equal(typeof JSON.parse(Deno.readTextFileSync(state)), "object");
  }
});

Deno.test("a dangling link in an image folder is a user error naming it", async () => {
  const dir = tempDir();
  Deno.writeTextFileSync(join(dir, "a.jpg"), "a");
  Deno.symlinkSync("/no/such/target.jpg", join(dir, "b.jpg"));
  await assert.rejects(
    () => hashFolder(dir),
    (e: Error) => e instanceof UserError && /b\.jpg cannot be read: it is a link/.test(e.message),
  );
});

Deno.test("links are followed: a linked folder is hashed by its files; with danglingLinks a link to nothing by its target", async () => {
  const real = tempDir();
  Deno.mkdirSync(join(real, "Person_A"));
  Deno.writeTextFileSync(join(real, "Person_A", "Person_A_0001.jpg"), "a");
  const linked = tempDir();
  Deno.symlinkSync(join(real, "Person_A"), join(linked, "Person_A"));
  assert.equal(await hashFolder(linked), await hashFolder(real));
  // A link back up does not loop.
  Deno.symlinkSync(linked, join(linked, "Person_A", "loop"));
  await hashFolder(linked);
  Deno.symlinkSync("/no/such/target.jpg", join(real, "Person_A", "Person_A_0002.jpg"));
  await assert.rejects(() => hashFolder(real), /Person_A_0002\.jpg cannot be read/);
  const before = await hashFolder(real, { danglingLinks: true });
  Deno.removeSync(join(real, "Person_A", "Person_A_0002.jpg"));
  Deno.symlinkSync("/no/such/other.jpg", join(real, "Person_A", "Person_A_0002.jpg"));
  assert.notEqual(await hashFolder(real, { danglingLinks: true }), before);
});
