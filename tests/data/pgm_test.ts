import assert from "node:assert/strict";
import { encodePgm, parsePgm } from "../../lib/data/pgm.ts";

const enc = (s: string, pixels: number[]) => {
  const head = new TextEncoder().encode(s);
  const out = new Uint8Array(head.length + pixels.length);
  out.set(head);
  out.set(pixels, head.length);
  return out;
};

Deno.test("parsePgm round-trips encodePgm", () => {
  const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const image = parsePgm(encodePgm({ width: 4, height: 3, pixels }));
  assert.equal(image.width, 4);
  assert.equal(image.height, 3);
  assert.deepEqual(image.pixels, pixels);
});

Deno.test("parsePgm accepts comments and rescales a smaller maximum value", () => {
  const image = parsePgm(enc("P5\n# made by a test\n2 1 # size\n15\n", [0, 15]));
  assert.deepEqual([...image.pixels], [0, 255]);
});

Deno.test("parsePgm names each header problem", () => {
  assert.throws(() => parsePgm(enc("P2\n2 1\n255\n", [0, 1])), /not a binary PGM/);
  assert.throws(() => parsePgm(enc("P5\nx 1\n255\n", [0, 1])), /bad PGM size/);
  assert.throws(() => parsePgm(enc("P5\n2 1\n65535\n", [0, 1])), /maximum value/);
  assert.throws(() => parsePgm(enc("P5\n2 2\n255\n", [0, 1])), /truncated PGM/);
  assert.throws(() => parsePgm(new Uint8Array(0)), /not a binary PGM/);
});

Deno.test("a header token running into the pixels is an error, not a stack overflow", () => {
  const pixels = new Uint8Array(200_000).fill(0x41); // 'A': no whitespace anywhere
  const bytes = new Uint8Array([...new TextEncoder().encode("P5\n64 64 255"), ...pixels]);
  assert.throws(() => parsePgm(bytes), /unsupported PGM maximum value "255A/);
});
