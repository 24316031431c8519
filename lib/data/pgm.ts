/**
 * Reading binary greyscale PGM (P5) images, the format of LFWcrop_grey's `faces/` folder.
 * @module
 */

/** A decoded greyscale image, row-major, one byte per pixel. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/**
 * Decodes a binary PGM (P5) image with a maximum value of at most 255; `#` comments in the
 * header are allowed. Throws an Error describing the first problem with the header or size.
 */
export function parsePgm(bytes: Uint8Array): GreyImage {
  let pos = 0;
  const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  function token(): string {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos])) pos++;
      if (bytes[pos] === 0x23) { // '#': comment to end of line
        while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    // Header tokens are short; a run-on token (no whitespace before the pixels) is cut off
    // rather than spread into a call that overflows the stack.
    const start = pos;
    while (
      pos < bytes.length && !isSpace(bytes[pos]) && bytes[pos] !== 0x23 && pos - start < 32
    ) pos++;
    return String.fromCharCode(...bytes.subarray(start, pos));
  }
  const magic = token();
  if (magic !== "P5") {
    throw new Error(`not a binary PGM (magic "${magic.slice(0, 8)}", expected "P5")`);
  }
  const fields = [token(), token(), token()];
  const [width, height, maxValue] = fields.map((f) => (/^\d+$/.test(f) ? Number(f) : NaN));
  if (!(width > 0 && height > 0)) throw new Error(`bad PGM size "${fields[0]} ${fields[1]}"`);
  if (!(maxValue > 0 && maxValue <= 255)) {
    throw new Error(`unsupported PGM maximum value "${fields[2]}" (need 1..255)`);
  }
  if (!isSpace(bytes[pos] ?? -1)) throw new Error("bad PGM header: no whitespace before pixels");
  pos++;
  const needed = width * height;
  if (bytes.length - pos < needed) {
    throw new Error(`truncated PGM: ${bytes.length - pos} pixel bytes, expected ${needed}`);
  }
  const pixels = bytes.slice(pos, pos + needed);
  if (maxValue !== 255) {
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round((pixels[i] * 255) / maxValue);
  }
  return { width, height, pixels };
}

/** Encodes a greyscale image as binary PGM (P5), e.g. for tests and exports. */
export function encodePgm(image: GreyImage): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${image.width} ${image.height}\n255\n`);
  const out = new Uint8Array(header.length + image.pixels.length);
  out.set(header);
  out.set(image.pixels, header.length);
  return out;
}
