import assert from "node:assert/strict";
import {
  faceAt,
  loadFaceArray,
  loadFaceIndex,
  resizeFaceArray,
  saveFaceArray,
} from "../../lib/data/face_array.ts";
import { tempDir } from "../helpers/fixtures.ts";

const faces = {
  size: 4,
  channels: 1,
  pixels: Uint8Array.from({ length: 3 * 16 }, (_, i) => i),
  entries: [
    { file: "A/A_0001.jpg", person: "A", number: 1 },
    { file: "A/A_0002.jpg", person: "A", number: 2 },
    { file: "B/B_0001.jpg", person: "B", number: 1 },
  ],
};

Deno.test("a saved face array loads back identically; the index loads alone", async () => {
  const dir = tempDir();
  await saveFaceArray(dir, faces);
  assert.deepEqual(await loadFaceArray(dir), faces);
  const index = await loadFaceIndex(dir);
  assert.deepEqual(index.entries, faces.entries);
  assert.deepEqual([...faceAt(faces, 1)], Array.from({ length: 16 }, (_, i) => 16 + i));
});

Deno.test("a face array whose pixel file is short is refused", async () => {
  const dir = tempDir();
  await saveFaceArray(dir, faces);
  Deno.writeFileSync(`${dir}/faces.u8`, new Uint8Array(10));
  await assert.rejects(() => loadFaceArray(dir), /faces\.u8 is damaged \(10 bytes, expected 48/);
});

Deno.test("resizing halves each side and keeps a constant image constant", () => {
  const flat = { ...faces, pixels: new Uint8Array(3 * 16).fill(77) };
  const small = resizeFaceArray(flat, 2);
  assert.equal(small.length, 3 * 4);
  assert.ok(small.every((v) => v === 77));
  assert.equal(resizeFaceArray(faces, 4), faces.pixels);
});
