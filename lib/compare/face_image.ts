/**
 * Reading any face photo (JPEG, PNG, WebP or PGM, any size) into the prepared-face format the
 * models were trained on, by the project's one face preprocessing
 * (`lib/data/face_preprocessing.ts`): the LFWcrop box scaled to the largest centred square (a
 * 250x250 LFW frame gets it as it is; a photo framed like LFW, face centred and about a third of
 * the frame, suits it), or an explicit box; resampled and converted to grey. PGM files are
 * LFWcrop faces already. This module adds the file handling and the errors a user sees.
 * @module
 */
import type { PrepareParams } from "../config/defaults.ts";
import { faceRegion, type PixelBox, prepareFace } from "../data/face_preprocessing.ts";
import { UserError } from "../util/errors.ts";

export { faceRegion };

/** Options of {@linkcode readFaceImage}. */
export interface FaceImageOptions {
  /** The face region in pixels: [left, top, right, bottom], right and bottom exclusive. */
  box?: PixelBox;
}

/** Reads one face photo as `size` x `size` grey bytes, ready for a model trained on prepared faces. */
export async function readFaceImage(
  path: string,
  prepare: Pick<PrepareParams, "box" | "size">,
  options: FaceImageOptions = {},
): Promise<Uint8Array> {
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
  try {
    return await prepareFace(bytes, { ...prepare, grey: true }, options.box);
  } catch (error) {
    if (error instanceof UserError) throw error;
    // The box arithmetic's complaints (an image too small for its face box) are not decoding
    // errors: say what is wrong without calling the file unreadable.
    if (error instanceof RangeError) throw new UserError(`${path}: ${error.message}`);
    const reason = (error as Error).message.split("\n")[0];
    const pgm = bytes[0] === 0x50 && bytes[1] === 0x35; // a PGM header: the format was right
    throw new UserError(
      `unreadable image ${path}${pgm ? "" : " (JPEG, PNG, WebP or PGM expected)"}: ${reason}`,
    );
  }
}
