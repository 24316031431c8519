/**
 * Reading any face photo (JPEG, PNG, WebP or PGM, any size) into the prepared-face format the
 * models were trained on: the LFWcrop box cut out, resized and converted to grey.
 *
 * - 250x250 images (LFW-style frames) get the LFWcrop box as they are.
 * - Other sizes: the largest centred square is taken as the frame and the box is scaled to it,
 *   as for the 150x150 LFW copy; this suits photos framed like LFW (face centred, about a third
 *   of the frame).
 * - PGM files of the prepared size are LFWcrop faces already and are used as they are.
 * - `box` ([x, y, width, height] in pixels) selects the face region explicitly.
 * @module
 */
import sharp from "sharp";
import type { PrepareParams } from "../config/defaults.ts";
import { MIN_FACE_SIDE, type Rect, scaleCropBox } from "../data/crop_box.ts";
import { parsePgm } from "../data/pgm.ts";
import { type RawImage, resampleRect } from "../data/resample.ts";
import { UserError } from "../util/errors.ts";

/** Options of {@linkcode readFaceImage}. */
export interface FaceImageOptions {
  /** The face region in pixels: [x, y, width, height]. */
  box?: [number, number, number, number];
}

async function decode(path: string): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UserError(`image not found: ${path}`);
    if (error instanceof Deno.errors.IsADirectory) {
      throw new UserError(`not an image file but a folder: ${path}`);
    }
    throw new UserError(`cannot read image ${path}: ${(error as Error).message}`);
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x35) { // "P5"
    try {
      const pgm = parsePgm(bytes);
      return { width: pgm.width, height: pgm.height, channels: 1, pixels: pgm.pixels };
    } catch (error) {
      throw new UserError(`unreadable image ${path}: ${(error as Error).message}`);
    }
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: "truncated" }).rotate().raw().toBuffer({
      resolveWithObject: true,
    });
    return {
      width: info.width,
      height: info.height,
      channels: info.channels,
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new UserError(`unreadable image ${path} (JPEG, PNG, WebP or PGM expected): ${reason}`);
  }
}

/** The face region of an image of `width` x `height`, as documented in the module comment. */
export function faceRegion(
  size: { width: number; height: number },
  prepare: Pick<PrepareParams, "box">,
  options: FaceImageOptions = {},
): Rect {
  if (options.box) {
    const [left, top, width, height] = options.box;
    if (
      left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > size.width ||
      top + height > size.height
    ) {
      throw new UserError(
        `--box ${options.box.join(",")} does not fit a ${size.width}x${size.height} image`,
      );
    }
    if (width < MIN_FACE_SIDE || height < MIN_FACE_SIDE) {
      throw new UserError(
        `--box ${
          options.box.join(",")
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

/** Reads one face photo as `size` x `size` grey bytes, ready for a model trained on prepared faces. */
export async function readFaceImage(
  path: string,
  prepare: Pick<PrepareParams, "box" | "size">,
  options: FaceImageOptions = {},
): Promise<Uint8Array> {
  const image = await decode(path);
  if (
    !options.box && image.channels === 1 && image.width === prepare.size &&
    image.height === prepare.size && /\.pgm$/i.test(path)
  ) {
    return image.pixels;
  }
  return resampleRect(image, faceRegion(image, prepare, options), {
    size: prepare.size,
    grey: true,
  });
}
