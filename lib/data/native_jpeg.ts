/**
 * Grey JPEG decoding through the optional native library `native/build/libface_decode.so`
 * (`native/face_decode.c` on libjpeg, built by `deno task build-native`): libjpeg returns the
 * luma plane directly, without decoding colour, several times faster per image than a colour
 * decode through sharp. `FACE_COMPARER_NATIVE=off` disables it, like the training kernels.
 *
 * @example
 * ```ts
 * import { decodeJpegGrey, jpegDecoder } from "./native_jpeg.ts";
 * if (jpegDecoder().available) {
 *   const face = decodeJpegGrey(Deno.readFileSync("photo.jpg"));
 *   console.log(face.width, face.height);
 * }
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import type { RawImage } from "./resample.ts";
import { nativeUnavailable, openFailure, sourceSha256 } from "../util/native_library.ts";

const SYMBOLS = {
  fd_jpeg_size: { parameters: ["buffer", "i32", "buffer", "buffer", "i32"], result: "i32" },
  fd_decode_jpeg_grey: {
    parameters: ["buffer", "i32", "buffer", "i32", "buffer", "i32"],
    result: "i32",
  },
  fd_build_info: { parameters: ["buffer", "i32"], result: "i32" },
} as const;

/** The library's default place (see native/build.sh). */
export const JPEG_LIBRARY_URL = new URL("../../native/build/libface_decode.so", import.meta.url);
/** Its source: the build is stamped with this file's SHA-256. */
export const JPEG_SOURCE_URL = new URL("../../native/face_decode.c", import.meta.url);

/** Whether the decoder can be used, and which it is or why not. */
export type JpegDecoderStatus =
  | { available: true; description: string }
  | { available: false; reason: string };

let symbols: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;
let status: JpegDecoderStatus | undefined;

/** Opens the library once (a stale build, or one that will not load, is not used). */
export function jpegDecoder(): JpegDecoderStatus {
  if (status) return status;
  const path = fileURLToPath(JPEG_LIBRARY_URL);
  const unavailable = nativeUnavailable(path, "gcc and libjpeg");
  if (unavailable) return status = { available: false, reason: unavailable };
  let library: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    library = Deno.dlopen(path, SYMBOLS);
  } catch (error) {
    return status = { available: false, reason: openFailure(path, error) };
  }
  const text = new Uint8Array(256);
  const [sha, version] = new TextDecoder()
    .decode(text.subarray(0, library.symbols.fd_build_info(text, text.length)))
    .split("|");
  const source = sourceSha256(JPEG_SOURCE_URL);
  if (source !== undefined && sha !== source) {
    library.close();
    return status = {
      available: false,
      reason:
        `${path} was built from another version of native/face_decode.c: run \`deno task build-native\``,
    };
  }
  symbols = library.symbols;
  return status = { available: true, description: `native (${version})` };
}

/**
 * The most pixels an image may have: sharp's default limit (16383 x 16383), which the colour
 * path enforces too. Larger dimensions in a JPEG header would ask for gigabytes.
 */
export const MAX_IMAGE_PIXELS = 16383 * 16383;

/** An image whose header claims more than {@linkcode MAX_IMAGE_PIXELS} pixels. */
export class ImageTooLargeError extends Error {
  /** Creates the error for an image of `width` x `height`. */
  constructor(width: number, height: number) {
    super(
      `${width}x${height} pixels, more than the ${
        (MAX_IMAGE_PIXELS / 1e6).toFixed(0)
      } megapixels an image may have`,
    );
    this.name = "ImageTooLargeError";
  }
}

const message = new Uint8Array(256);
const dims = new Int32Array(2);

function reason(): string {
  const end = message.indexOf(0);
  return new TextDecoder().decode(message.subarray(0, end < 0 ? message.length : end)).trim();
}

/**
 * Decodes a JPEG to one grey channel (libjpeg's luma). Throws an Error with libjpeg's reason
 * when the data is corrupt or truncated, an {@linkcode ImageTooLargeError} when its header
 * claims more than {@linkcode MAX_IMAGE_PIXELS} pixels. Call only when {@linkcode jpegDecoder} is available.
 */
export function decodeJpegGrey(bytes: Uint8Array): RawImage {
  if (!jpegDecoder().available || !symbols) {
    throw new Error("the native JPEG decoder is not available");
  }
  message.fill(0);
  if (symbols.fd_jpeg_size(bytes, bytes.length, dims, message, message.length) !== 0) {
    throw new Error(reason() || "not a JPEG");
  }
  const [width, height] = dims;
  if (width * height > MAX_IMAGE_PIXELS) throw new ImageTooLargeError(width, height);
  const pixels = new Uint8Array(width * height);
  const code = symbols.fd_decode_jpeg_grey(
    bytes,
    bytes.length,
    pixels,
    pixels.length,
    message,
    message.length,
  );
  if (code !== 0) throw new Error(code === 2 ? "unexpected JPEG output size" : reason());
  return { width, height, channels: 1, pixels };
}
