/**
 * Where faces sit in the training frame: the detector is run over LFW images (framed as
 * `prepare` frames them: the largest centred square, scaled to LFW's 250x250 frame) and the
 * five alignment landmarks are averaged. Those means are the canonical positions that
 * `compare` aligns a photo's landmarks to, so the model's crop box lands on the face where it
 * landed in training (`lib/config/canonical_landmarks.ts` holds the numbers and the command).
 * @module
 */
import { LFW_FRAME } from "../data/crop_box.ts";
import type { Landmarks5, Point } from "../data/face_alignment.ts";
import { decodeImage } from "../data/face_preprocessing.ts";
import type { FaceDetector } from "./face_detector.ts";

/** The result of {@linkcode calibrateLandmarks}. */
export interface LandmarkCalibration {
  /** Mean positions of the five landmarks in the 250x250 frame. */
  mean: Landmarks5;
  /** Their standard deviations (x, y), in frame pixels. */
  sd: Landmarks5;
  /** Images read, and those where a face was found near the frame's centre. */
  images: number;
  detected: number;
  /** Mean detector score of the faces used. */
  meanScore: number;
}

/**
 * Runs `detector` over `files` (LFW-framed photos) and averages the five landmarks of each
 * image's face (the one nearest the frame's centre, as LFW centres its person), in the frame.
 */
export async function calibrateLandmarks(
  detector: FaceDetector,
  files: readonly string[],
  options: { onImage?: (done: number) => void } = {},
): Promise<LandmarkCalibration> {
  const sum = Array.from({ length: 5 }, () => [0, 0, 0, 0]); // x, y, x², y²
  let detected = 0, scores = 0;
  for (const [k, file] of files.entries()) {
    const image = await decodeImage(await Deno.readFile(file), { grey: false });
    const side = Math.min(image.width, image.height);
    const s = LFW_FRAME / side;
    const ox = (image.width - side) / 2, oy = (image.height - side) / 2;
    const faces = await detector.detect(image);
    const centre = (f: (typeof faces)[number]) =>
      Math.hypot(
        f.box.left + f.box.width / 2 - image.width / 2,
        f.box.top + f.box.height / 2 - image.height / 2,
      );
    const face = faces.sort((a, b) => centre(a) - centre(b))[0];
    // A face whose box misses the frame's centre is not LFW's person.
    if (face && centre(face) < side / 4) {
      detected++;
      scores += face.score;
      face.landmarks.forEach(([x, y], i) => {
        const fx = (x - ox) * s, fy = (y - oy) * s;
        sum[i][0] += fx;
        sum[i][1] += fy;
        sum[i][2] += fx * fx;
        sum[i][3] += fy * fy;
      });
    }
    options.onImage?.(k + 1);
  }
  if (detected === 0) throw new Error("no face found in any calibration image");
  const mean = sum.map(([x, y]): Point => [x / detected, y / detected]) as Landmarks5;
  const sd = sum.map(([x, y, xx, yy]): Point => [
    Math.sqrt(Math.max(0, xx / detected - (x / detected) ** 2)),
    Math.sqrt(Math.max(0, yy / detected - (y / detected) ** 2)),
  ]) as Landmarks5;
  return { mean, sd, images: files.length, detected, meanScore: scores / detected };
}
