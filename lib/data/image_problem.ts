/**
 * Why one image could not be prepared, in a form the preparing workers can send back: the crop
 * box does not fit it, it is too large to decode, or its data is bad. `prepare` words its error
 * (or its warning with `--skip-bad`) by it, so a wrong `--box` is not blamed on the images.
 * @module
 */
import { ImageTooLargeError } from "./native_jpeg.ts";

/**
 * Why an image could not be prepared: `box`, the crop box does not fit it (too small an image
 * for `--box`); `large`, too many pixels to decode; `corrupt`, anything else (bad data).
 */
export interface ImageProblem {
  kind: "box" | "large" | "corrupt";
  /** One line. */
  reason: string;
}

/** The {@linkcode ImageProblem} of an error thrown while preparing one image. */
export function imageProblem(error: unknown): ImageProblem {
  const reason = String((error as Error)?.message ?? error).split("\n")[0];
  // The crop box arithmetic throws RangeErrors (crop_box.ts).
  if (error instanceof RangeError) return { kind: "box", reason };
  // sharp refuses images over its pixel limit with this message.
  if (error instanceof ImageTooLargeError || /exceeds pixel limit/i.test(reason)) {
    return { kind: "large", reason };
  }
  return { kind: "corrupt", reason };
}
