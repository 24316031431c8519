/**
 * A network reading a crop of larger faces: `frame=B/crop=C/NETWORK` is the registered network
 * `NETWORK` (a CNN such as `seed64_cosface`) given faces prepared 1:1 from box `B` of LFW's
 * 250x250 image and reading its box `C` of them at its input size, through the crop step the
 * descriptor pipelines use (`face_crop.ts`). So a CNN and descriptor pipelines that read other
 * crops of the same frame (`frame=head_and_face/crop=head/fisher`) share their prepared faces,
 * and can be members of one ensemble: tested, compared and exported as one model.
 *
 * Training crops every prepared face once, before the first epoch, with the same filter
 * (`resizeFaceArray`'s region), and trains the network itself on the crops: its augmentation,
 * batches and threads are exactly those of the network trained on faces prepared from `C`
 * directly, whose pixels the crops equal up to their rounding to bytes.
 *
 * @example
 * ```ts
 * const spec = parseFramedSpec("frame=head_and_face/crop=face100/seed64_cosface");
 * const model = framedModel(getModel(spec.network), spec.frame, spec.crop!);
 * model.name; // "frame=48_50_202_204/crop=75_84_175_184/seed64_cosface"
 * model.inputSize; // 154
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { FaceBox } from "../config/defaults.ts";
import { resampleRect } from "../data/resample.ts";
import { UserError } from "../util/errors.ts";
import {
  cropFaces,
  cropWithin,
  FaceCrop,
  type FaceCropRegion,
  frameCropProblem,
} from "./face_crop.ts";
import { parseBox } from "./pipeline_spec.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** A network reading a crop of its input faces. */
export interface FramedModel extends SiameseModel {
  /**
   * The crop, the network itself, which training fits on the faces cropped beforehand, and that
   * cropping ({@linkcode cropFacePixels} of the crop). The trainer reads it as a field, importing
   * this module's types only, so that this module (and the parsers it uses) is the code of
   * framed networks alone, not of every network's training.
   */
  trainsOn: {
    crop: FaceCropRegion;
    network: SiameseModel;
    cropFaces(faces: Uint8Array, size: number): Uint8Array;
  };
}

/** The crop and network of a {@linkcode FramedModel}; undefined for any other model. */
export function framedParts(model: SiameseModel): FramedModel["trainsOn"] | undefined {
  return (model as Partial<FramedModel>).trainsOn;
}

/** The parts of `frame=B/crop=C/NETWORK`, the crop absent when not given. */
export interface FramedSpec {
  frame: Readonly<FaceBox>;
  crop?: Readonly<FaceBox>;
  network: string;
}

/**
 * Whether `text` names a framed network: steps joined by `/` whose last is a plain name
 * (`isNetwork` says which names are networks), as `frame=head_and_face/seed64_cosface`.
 */
export function isFramedSpec(text: string, isNetwork: (name: string) => boolean): boolean {
  const last = text.slice(text.lastIndexOf("/") + 1);
  return text.includes("/") && /^[a-z0-9_]+$/.test(last) && isNetwork(last);
}

/** The steps of a framed network's name; a UserError naming the step that is wrong. */
export function parseFramedSpec(text: string): FramedSpec {
  const fail = (what: string): never => {
    throw new UserError(
      `--model ${text}: ${what} (a network reading a crop is frame=B/crop=C/NETWORK; see docs/models.md)`,
    );
  };
  const steps = text.split("/");
  const network = steps.pop()!;
  const boxes = new Map<string, string>();
  for (const step of steps) {
    const m = /^(frame|crop)=(.+)$/.exec(step);
    if (!m) fail(`step "${step}" is not frame=B or crop=B`);
    if (boxes.has(m![1])) fail(`step "${m![1]}" is given twice`);
    boxes.set(m![1], m![2]);
  }
  if (!boxes.has("frame")) fail("the frame=B step is missing");
  const frame = parseBox(boxes.get("frame")!, "frame", fail);
  const crop = boxes.has("crop") ? parseBox(boxes.get("crop")!, "crop", fail) : undefined;
  return { frame, ...(crop ? { crop } : {}), network };
}

/**
 * `network` reading box `crop` of faces prepared 1:1 from `frame` (both boxes of LFW's 250x250
 * image; the crop inside the square frame and centred across it: `frameCropProblem`), named
 * `frame=B/crop=C/NETWORK` with the boxes' pixels written out.
 */
export function framedModel(
  network: SiameseModel,
  frame: Readonly<FaceBox>,
  crop: Readonly<FaceBox>,
): FramedModel {
  const name = `frame=${frame.join("_")}/crop=${crop.join("_")}/${network.name}`;
  const fail = (what: string): never => {
    throw new UserError(`--model ${name}: ${what}`);
  };
  if (network.objective.kind === "lda" || network.objective.kind === "ensemble") {
    fail(
      network.objective.kind === "lda"
        ? `${network.name} is a descriptor model; a descriptor pipeline takes frame= and crop= steps of its own (frame=head_and_face/crop=face100/fisher)`
        : `${network.name} is an ensemble; give each member its frame`,
    );
  }
  if (framedParts(network)) fail(`${network.name} already reads a crop`);
  const framing = frameCropProblem(frame, crop);
  if (framing) fail(framing);
  const region = cropWithin(frame, crop, network.inputSize);
  return {
    ...network,
    name,
    description:
      `${network.description}; reading the ${region.width}x${region.height} crop at (${region.left}, ${region.top}) of faces prepared 1:1 from the frame ${
        frame.join(",")
      }, resampled to ${region.size}x${region.size}`,
    inputSize: frame[2] - frame[0],
    preparedBox: frame,
    code: [new URL(import.meta.url), ...network.code],
    trainsOn: {
      crop: region,
      network,
      cropFaces: (faces, size) => cropFacePixels(faces, size, region),
    },
    embed: (p, images, ctx) =>
      tf.tidy(() => network.embed(p, cropFaces(images, region), ctx)) as tf.Tensor2D,
    layers: {
      branch: (face, prefix = "") =>
        network.layers.branch(
          new FaceCrop({ ...region, name: `${prefix}crop` }).apply(face) as tf.SymbolicTensor,
          prefix,
        ),
      head: network.layers.head,
    },
  };
}

/**
 * Each of `faces` (N x `size` x `size` bytes) read through `crop` with the preprocessing's
 * filter: N x `crop.size`^2 bytes, the faces a network reading the crop trains on.
 */
export function cropFacePixels(faces: Uint8Array, size: number, crop: FaceCropRegion): Uint8Array {
  const pixels = size * size, out = crop.size * crop.size;
  const count = faces.length / pixels;
  const cropped = new Uint8Array(count * out);
  const rect = { left: crop.left, top: crop.top, width: crop.width, height: crop.height };
  for (let i = 0; i < count; i++) {
    const image = {
      width: size,
      height: size,
      channels: 1,
      pixels: faces.subarray(i * pixels, (i + 1) * pixels),
    };
    cropped.set(resampleRect(image, rect, { size: crop.size, grey: true }), i * out);
  }
  return cropped;
}
