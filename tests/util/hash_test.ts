import assert from "node:assert/strict";
import { canonicalJson, sha256Hex } from "../../lib/util/hash.ts";

Deno.test("canonicalJson sorts keys at every level and drops undefined", () => {
  const a = canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: "x" }, u: undefined });
  const b = canonicalJson({ a: { c: "x", d: [1, { y: 2, z: 1 }] }, b: 1 });
  assert.equal(a, b);
  assert.equal(a, '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
});

Deno.test("canonicalJson rejects non-finite numbers", () => {
  assert.throws(() => canonicalJson({ x: NaN }));
});

Deno.test("sha256Hex matches the known digest of 'abc'", async () => {
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("sha256File streams a file larger than its read piece to the one-piece digest", async () => {
  const { sha256File } = await import("../../lib/util/hash.ts");
  const bytes = new Uint8Array((8 << 20) + 12345);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  const path = Deno.makeTempFileSync();
  Deno.writeFileSync(path, bytes);
  assert.equal(await sha256File(path), await sha256Hex(bytes));
  Deno.writeFileSync(path, new Uint8Array(0));
  assert.equal(
    await sha256File(path),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});
