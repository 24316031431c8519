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
  const sx = size.width / LFW_FRAME;
  const sy = size.height / LFW_FRAME;
  const [l, t, r, b] = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
  if (!(r > l && b > t) || l < 0 || t < 0 || r > size.width + 1e-9 || b > size.height + 1e-9) {
    throw new RangeError(
      `crop box [${box.join(",")}] does not fit a ${size.width}x${size.height} image`,
    );
  }
  return { left: l, top: t, width: r - l, height: b - t };
}
