/**
 * Where the five alignment landmarks sit, on average, in LFW's 250x250 frame: the positions
 * `compare` (and the export) align a photo's detected landmarks to, so that the model's crop box
 * lands on the face where it landed in training. One set per LFW image folder the models are
 * prepared from (the frames differ a little: deep funneling aligns the faces).
 *
 * Measured once, by the face detector `compare` uses (`lib/compare/face_detector.ts`, SSD
 * MobileNet v1 with its 68-point landmarks, score >= 0.5; its two passes, the photo and the
 * photo in a border), over 600 images drawn (seed 1) from
 * the images of View 1's training people (`peopleDevTrain.txt`), each framed as `prepare` frames
 * it (the largest centred square as the 250x250 frame); a face was found near the frame's
 * centre in `detected` of them. The commands (`deno task landmarks --help`):
 *
 * ```sh
 * deno task landmarks --images ../shared/lfw/lfw-original-150 --sample 600 --seed 1
 * deno task landmarks --images ../shared/lfw/lfw-deepfunneled --sample 600 --seed 1
 * ```
 * @module
 */
import { basename } from "node:path";
import type { Landmarks5 } from "../data/face_alignment.ts";

/** One measured set of canonical positions. */
export interface CanonicalLandmarks {
  /** Which LFW copy they were measured on. */
  name: string;
  /**
   * Eye centres (image-left first), nose tip, mouth corners (image-left first), in the
   * 250x250 frame.
   */
  points: Landmarks5;
  /** Their standard deviations over the sample (x, y), in frame pixels. */
  sd: Landmarks5;
  /** Images sampled, and those with a face near the centre. */
  images: number;
  detected: number;
  /** The command that measured them. */
  command: string;
}

/** LFW's original images (`lfw-original-150`, the default `--images` of `prepare`). */
export const LFW_ORIGINAL_LANDMARKS: CanonicalLandmarks = Object.freeze<CanonicalLandmarks>({
  name: "lfw-original",
  points: [[104.16, 112.48], [144.21, 112.02], [124.19, 136.73], [108.23, 157.25], [
    142.29,
    157.15,
  ]],
  sd: [[3.84, 3.48], [4.42, 3.40], [7.30, 4.66], [5.82, 5.10], [6.01, 5.34]],
  images: 600,
  detected: 586,
  command: "deno task landmarks --images ../shared/lfw/lfw-original-150 --sample 600 --seed 1",
});

/** LFW's deep-funneled images (`lfw-deepfunneled`). */
export const LFW_DEEPFUNNELED_LANDMARKS: CanonicalLandmarks = Object.freeze<CanonicalLandmarks>({
  name: "lfw-deepfunneled",
  points: [[104.04, 112.34], [144.63, 111.78], [124.34, 136.73], [108.23, 157.77], [
    142.83,
    157.56,
  ]],
  sd: [[3.68, 2.41], [3.65, 2.53], [6.33, 3.84], [4.19, 3.75], [4.23, 3.85]],
  images: 600,
  detected: 593,
  command: "deno task landmarks --images ../shared/lfw/lfw-deepfunneled --sample 600 --seed 1",
});

/**
 * The canonical positions for a model prepared from `imagesDir`: the deep-funneled set when
 * the folder is LFW's deep-funneled copy, else the original images' set (LFWcrop's PGM faces
 * were cut from the originals too).
 */
export function canonicalLandmarksFor(imagesDir?: string): CanonicalLandmarks {
  return imagesDir && /deepfunnel/i.test(basename(imagesDir))
    ? LFW_DEEPFUNNELED_LANDMARKS
    : LFW_ORIGINAL_LANDMARKS;
}
