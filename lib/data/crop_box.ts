/**
 * The LFWcrop box arithmetic: the box is defined in the 250x250 frame of the original LFW
 * images and scaled to the size of the actual image (0.6 for the 150x150 copy). The scaled box
 * keeps its fractional edges; the resampler integrates over partial pixels.
 * @module
 */

/** A rectangle in pixel coordinates; edges may be fractional. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The smallest face side, in source pixels, that is not mostly interpolation. */
export const MIN_FACE_SIDE = 16;

/** The side of the frame the LFWcrop box is defined in. */
export const LFW_FRAME = 250;

/**
 * Scales a box `[left, top, right, bottom]` (right/bottom exclusive) given in the 250x250
 * frame to an image of `width` x `height`. Throws a RangeError if the box is empty or does not
 * lie inside the image.
 */
export function scaleCropBox(
  box: readonly [number, number, number, number],
  size: { width: number; height: number },
): Rect {
  // The box is checked in its own frame first, so a wrong box is not blamed on the image.
  if (
    !(box[2] > box[0] && box[3] > box[1]) || box[0] < 0 || box[1] < 0 || box[2] > LFW_FRAME ||
    box[3] > LFW_FRAME
  ) {
    throw new RangeError(
      `crop box [${
        box.join(",")
      }] is not a box inside the ${LFW_FRAME}x${LFW_FRAME} frame it is given in`,
    );
  }
  const sx = size.width / LFW_FRAME;
  const sy = size.height / LFW_FRAME;
  const [l, t, r, b] = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
  if (r - l < MIN_FACE_SIDE || b - t < MIN_FACE_SIDE) {
    throw new RangeError(
      `a ${size.width}x${size.height} image is too small: its face box would be ${
        (r - l).toFixed(1)
      }x${(b - t).toFixed(1)} px (at least ${MIN_FACE_SIDE} px needed)`,
    );
  }
  return { left: l, top: t, width: r - l, height: b - t };
}
