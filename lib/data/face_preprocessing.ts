/**
 * The project's one face preprocessing: how an image file becomes a prepared face. `prepare`
 * runs it on every image of a folder, `compare` on any photo, and `export` writes its
 * description ({@linkcode preprocessingSpec}) into `preprocessing.json`, from which the browser
 * page takes its constants. The steps:
 *
 * 1. **Decode.** JPEGs decode straight to grey through libjpeg when the native decoder is built
 *    (`native/face_decode.c`; libjpeg returns the file's luma plane), else through sharp (libvips)
 *    in colour. Either way an EXIF orientation is applied first (files that carry one go through
 *    sharp, which rotates them). PNG, WebP and others go through sharp; PGM is read directly.
 * 2. **Frame.** The largest centred square of the image (the whole image for LFW's square ones).
 *    PGM files are LFWcrop faces, already cut: the whole image is the face (steps 2-3 skipped).
 * 3. **Box.** The LFWcrop box `[left, top, right, bottom]` (right and bottom exclusive), given in a
 *    250x250 frame, is scaled to the frame, keeping fractional edges; or an explicit box in
 *    the image's pixels, `[left, top, right, bottom]` too (`compare --box`).
 * 4. **Resample** the box to `size` x `size` with a separable triangle filter whose support
 *    widens with the reduction, so every covered source pixel is averaged (Pillow's antialiased
 *    BILINEAR), integrating over partial pixels at fractional edges.
 * 5. **Grey**: ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B, rounded to a byte (a colour decode
 *    is resampled first, then converted; a grey decode is already luma).
 * 6. **Model input** (at training and scoring time): the prepared face resampled the same way to
 *    the model's input side, and divided by 255.
 *
 * The libjpeg and sharp decodes differ by rounding (at most a few grey levels per pixel, tested),
 * so the decoder in use is part of the `prepare` stage's key.
 *
 * @example
 * ```ts
 * import { prepareFace } from "./face_preprocessing.ts";
 * const face = await prepareFace(Deno.readFileSync("face.jpg"), {
 *   box: [83, 92, 166, 175], size: 64, grey: true,
 * });
 * ```
 * @module
 */
import type Sharp from "sharp";
import type { PrepareParams } from "../config/defaults.ts";
import { LFW_FRAME, MIN_FACE_SIDE, type Rect, scaleCropBox } from "./crop_box.ts";
import { decodeJpegGrey, jpegDecoder } from "./native_jpeg.ts";
import { parsePgm } from "./pgm.ts";
import { LUMA, type RawImage, resampleRect } from "./resample.ts";
import { UserError } from "../util/errors.ts";

// sharp (a native addon) is loaded on first use, so that the native-JPEG path, which the
// prepare workers run, never loads it in a worker.
let sharpModule: typeof Sharp | undefined;
async function loadSharp(): Promise<typeof Sharp> {
  if (!sharpModule) {
    sharpModule = (await import("sharp")).default;
    sharpModule.cache(false);
    sharpModule.concurrency(1);
  }
  return sharpModule;
}

/**
 * A face region given explicitly, in pixels of the image: [left, top, right, bottom], right and
 * bottom exclusive (the convention of `--box` in every task).
 */
export type PixelBox = [number, number, number, number];

/** Which decoder {@linkcode decodeImage} uses for JPEGs, for logs and the prepare key. */
export async function jpegDecoderName(): Promise<string> {
  const native = jpegDecoder();
  if (native.available) return `libjpeg grey ${native.description}`;
  const sharp = await loadSharp();
  return `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`;
}

const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;
const isPgm = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x35; // "P5"

/**
 * The EXIF orientation of a JPEG (1-8), or 1 when it has none. Reads the APP1 "Exif" segment's
 * first image directory only; anything unreadable counts as 1 (as browsers do).
 */
export function jpegOrientation(bytes: Uint8Array): number {
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    if (marker === 0xda || marker === 0xd9) break; // image data starts: no more metadata
    const length = (bytes[p + 2] << 8) | bytes[p + 3];
    const exif = p + 4;
    if (
      marker === 0xe1 && bytes[exif] === 0x45 && bytes[exif + 1] === 0x78 &&
      bytes[exif + 2] === 0x69 && bytes[exif + 3] === 0x66 // "Exif"
    ) {
      const tiff = exif + 6;
      const little = bytes[tiff] === 0x49; // "II"
      const u16 = (o: number) =>
        little ? bytes[o] | (bytes[o + 1] << 8) : (bytes[o] << 8) | bytes[o + 1];
      const u32 = (o: number) =>
        little
          ? (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 2 ** 24
          : bytes[o] * 2 ** 24 + ((bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]);
      const ifd = tiff + u32(tiff + 4);
      if (ifd + 2 > bytes.length) return 1;
      const entries = u16(ifd);
      for (let e = 0; e < entries; e++) {
        const entry = ifd + 2 + 12 * e;
        if (entry + 12 > bytes.length) return 1;
        if (u16(entry) === 0x0112) {
          const value = u16(entry + 8);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }
    p += 2 + length;
  }
  return 1;
}

/**
 * Decodes an image file's bytes: for grey faces straight to
 * grey through libjpeg where possible (step 1 of the module doc), else the file's channels
 * from sharp, upright.
 * Throws an Error (the caller names the file) for unreadable data.
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: { grey: boolean },
): Promise<RawImage> {
  if (isPgm(bytes)) {
    const pgm = parsePgm(bytes);
    return { width: pgm.width, height: pgm.height, channels: 1, pixels: pgm.pixels };
  }
  if (options.grey && isJpeg(bytes) && jpegDecoder().available && jpegOrientation(bytes) === 1) {
    return decodeJpegGrey(bytes);
  }
  const sharp = await loadSharp();
  const { data, info } = await sharp(bytes, { failOn: "truncated", sequentialRead: true })
    .rotate()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new Error(error.message.split("\n")[0]);
    });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/**
 * The face region of an image of `width` x `height` (steps 2 and 3): the LFWcrop box scaled to
 * the largest centred square, or `box` when given (checked to fit and to be at least
 * {@linkcode MIN_FACE_SIDE} pixels).
 */
export function faceRegion(
  size: { width: number; height: number },
  prepare: Pick<PrepareParams, "box">,
  box?: PixelBox,
): Rect {
  if (box) {
    const [left, top, right, bottom] = box;
    const width = right - left, height = bottom - top;
    if (
      left < 0 || top < 0 || width <= 0 || height <= 0 || right > size.width || bottom > size.height
    ) {
      throw new UserError(
        `--box ${
          box.join(",")
        } (left,top,right,bottom) does not fit a ${size.width}x${size.height} image`,
      );
    }
    if (width < MIN_FACE_SIDE || height < MIN_FACE_SIDE) {
      throw new UserError(
        `--box ${
          box.join(",")
        }: a ${width}x${height} px face is too small (at least ${MIN_FACE_SIDE} px)`,
      );
    }
    return { left, top, width, height };
  }
  const side = Math.min(size.width, size.height);
  const inner = scaleCropBox(prepare.box, { width: side, height: side });
  return {
    ...inner,
    left: inner.left + (size.width - side) / 2,
    top: inner.top + (size.height - side) / 2,
  };
}

/**
 * An image file's bytes as a prepared face: `size` x `size` bytes, grey (or RGB when
 * `params.grey` is false). PGM files are LFWcrop faces, already cut: the whole image is the
 * face (used as it is when already of the prepared size).
 */
export async function prepareFace(
  bytes: Uint8Array,
  params: Pick<PrepareParams, "box" | "size" | "grey">,
  box?: PixelBox,
): Promise<Uint8Array> {
  const image = await decodeImage(bytes, { grey: params.grey });
  if (isPgm(bytes) && !box) {
    if (image.width === params.size && image.height === params.size && params.grey) {
      return image.pixels;
    }
    return resampleRect(
      image,
      { left: 0, top: 0, width: image.width, height: image.height },
      params,
    );
  }
  return resampleRect(image, faceRegion(image, params, box), params);
}

/**
 * The prepared face of a grey, upright JPEG decoded natively, synchronously, or undefined when
 * that path does not apply (not a JPEG, colour, an EXIF rotation, no native decoder): the
 * caller then uses {@linkcode prepareFace}. Same result as `prepareFace` where it applies.
 */
export function prepareJpegFaceNative(
  bytes: Uint8Array,
  params: Pick<PrepareParams, "box" | "size" | "grey">,
): Uint8Array | undefined {
  if (!params.grey || !isJpeg(bytes) || !jpegDecoder().available) return undefined;
  if (jpegOrientation(bytes) !== 1) return undefined;
  const image = decodeJpegGrey(bytes);
  return resampleRect(image, faceRegion(image, params), params);
}

/** `preprocessing.json`'s description of the steps, for a third party to reproduce them. */
export interface PreprocessingSpec {
  /** The side of the frame the box is given in. */
  frame: number;
  /** [left, top, right, bottom] in the frame, right and bottom exclusive. */
  box: [number, number, number, number];
  /** Side of the prepared face. */
  faceSize: number;
  /** Side of the model's input (the prepared face resampled again). */
  inputSize: number;
  grey: boolean;
  /** Grey = luma[0] R + luma[1] G + luma[2] B, rounded. */
  luma: [number, number, number];
  /** Model input = byte / scale. */
  scale: number;
  /** The steps in words, in order. */
  steps: string[];
}

/** The description of this module's steps for a model of input side `inputSize`. */
export function preprocessingSpec(
  prepare: Pick<PrepareParams, "box" | "size" | "grey">,
  inputSize: number,
): PreprocessingSpec {
  return {
    frame: LFW_FRAME,
    box: [...prepare.box],
    faceSize: prepare.size,
    inputSize,
    grey: prepare.grey,
    luma: [...LUMA],
    scale: 255,
    steps: [
      "decode the image upright (EXIF orientation applied)",
      `frame: the largest centred square of the image; s = frame side / ${LFW_FRAME}`,
      "face box: [left, top, right, bottom] x s, offset by the frame's corner; fractional edges kept",
      `resample the face box to faceSize x faceSize: separable triangle filter, support max(1, reduction) source pixels (Pillow's antialiased BILINEAR), partial edge pixels weighted by coverage`,
      `grey: round(${LUMA[0]} R + ${LUMA[1]} G + ${LUMA[2]} B) (BT.601 luma)`,
      "model input: the prepared face resampled the same way to inputSize x inputSize, divided by scale",
    ],
  };
}
