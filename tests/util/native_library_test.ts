import assert from "node:assert/strict";
import { join } from "node:path";
import { nativeUnavailable, openFailure, sourceSha256 } from "../../lib/util/native_library.ts";
import { tempDir } from "../helpers/fixtures.ts";

Deno.test("native libraries: switched off, not built, or not loadable, each says what to do", () => {
  // The basic tier runs with FACE_COMPARER_NATIVE=off: this test sets the switch itself.
  const before = Deno.env.get("FACE_COMPARER_NATIVE");
  Deno.env.delete("FACE_COMPARER_NATIVE");
  try {
    checkNativeLibraryHelpers();
  } finally {
    if (before === undefined) Deno.env.delete("FACE_COMPARER_NATIVE");
    else Deno.env.set("FACE_COMPARER_NATIVE", before);
  }
});

function checkNativeLibraryHelpers(): void {
  const dir = tempDir();
  const lib = join(dir, "lib.so");
  assert.match(nativeUnavailable(lib, "gcc and libjpeg")!, /lib\.so is not built \(run `deno task build-native`; it needs gcc and libjpeg\)/);
  Deno.writeTextFileSync(lib, "not a library");
  assert.equal(nativeUnavailable(lib, "gcc"), undefined);
  Deno.env.set("FACE_COMPARER_NATIVE", "off");
  try {
    assert.equal(nativeUnavailable(lib, "gcc"), "disabled by FACE_COMPARER_NATIVE=off");
  } finally {
    Deno.env.delete("FACE_COMPARER_NATIVE");
  }
  assert.match(openFailure(lib, new Error("invalid ELF header\nmore")), /lib\.so could not be loaded \(invalid ELF header\): run `deno task build-native`/);
  const source = join(dir, "x.c");
  Deno.writeTextFileSync(source, "int x;\n");
  assert.match(sourceSha256(new URL(`file://${source}`))!, /^[0-9a-f]{64}$/);
  assert.equal(sourceSha256(new URL(`file://${join(dir, "missing.c")}`)), undefined);
}
