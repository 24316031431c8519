/**
 * Face detection and landmarks for `compare` (and the landmark calibration), by
 * `@vladmandic/face-api` (MIT; pinned in deno.json): its SSD MobileNet v1 detector (trained by
 * its authors on WIDER FACE) or its tiny detector, then its 68-point landmark net. The weights
 * ship inside the npm package (`model/`) and are read from disk, so detection works offline; the
 * package's `node-wasm` build requires `@tensorflow/tfjs` itself, so it runs on this project's
 * tfjs instance and whatever backend `selectBackend` chose (tested: the same engine).
 *
 * None of these models was trained by this project, and none is used by the LFW protocol
 * figures (`train`, `test`, `prepare` read LFW's own framing): detection serves `compare` and
 * the export only.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rect } from "../data/crop_box.ts";
import type { RawImage } from "../data/resample.ts";
import type { Landmarks5, Point } from "../data/face_alignment.ts";

/** The package and version, for logs and the export's model card. */
export const DETECTOR_PACKAGE = "@vladmandic/face-api@1.7.15";

/** The detectors the package ships: `ssd` (5.6 MB, WIDER FACE) or `tiny` (190 kB). */
export const DETECTOR_KINDS = ["ssd", "tiny"] as const;
/** One of {@linkcode DETECTOR_KINDS}. */
export type DetectorKind = typeof DETECTOR_KINDS[number];

/** The weight files of each net, in the package's `model/` folder. */
export const DETECTOR_WEIGHTS = {
  ssd: "ssd_mobilenetv1_model",
  tiny: "tiny_face_detector_model",
  landmarks: "face_landmark_68_model",
} as const;

/** The package's model folder (installed by `deno install`). */
export const DETECTOR_MODEL_DIR = new URL(
  "../../node_modules/@vladmandic/face-api/model/",
  import.meta.url,
);

/** Options of {@linkcode FaceDetector.open}. */
export interface DetectorOptions {
  /** Which detector (default `ssd`). */
  kind?: DetectorKind;
  /** Lowest detector score that counts as a face (default 0.5). */
  minScore?: number;
}

/** Default lowest score of a face. */
export const DEFAULT_MIN_SCORE = 0.5;

/**
 * Photos larger than this (longest side) are shrunk for detection only; the landmarks are
 * mapped back and the crop is read from the full-resolution photo.
 */
export const DETECT_MAX_SIDE = 2048;

/** One detected face, in the photo's pixels. */
export interface DetectedFace {
  /** The detector's box. */
  box: Rect;
  /** The detector's score (0-1). */
  score: number;
  /**
   * Eye centres (image-left eye first, each the mean of its six landmarks), nose tip, mouth
   * corners (image-left first).
   */
  landmarks: Landmarks5;
  /** All 68 landmarks (iBUG 300-W order). */
  points: Point[];
}

// The parts of face-api used here (its own types pull in a second copy of tfjs' types).
interface FaceApiNet {
  loadFromWeightMap(map: tf.NamedTensorMap): void;
}
interface FaceApiResult {
  detection: {
    score: number;
    box: { x: number; y: number; width: number; height: number };
  };
  landmarks: { positions: { x: number; y: number }[] };
}
/** The parts of face-api's API that {@linkcode detectFaces} uses. */
export interface FaceApi {
  nets: { ssdMobilenetv1: FaceApiNet; tinyFaceDetector: FaceApiNet; faceLandmark68Net: FaceApiNet };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(
    input: tf.Tensor3D,
    options: unknown,
  ): { withFaceLandmarks(): Promise<FaceApiResult[]> };
}

let faceApi: Promise<FaceApi> | undefined;
function loadFaceApi(): Promise<FaceApi> {
  // The node-wasm build requires "@tensorflow/tfjs" and "@tensorflow/tfjs-backend-wasm", the
  // project's own; the ESM builds either bundle a second tfjs or import a path Deno rejects.
  faceApi ??= import("@vladmandic/face-api/dist/face-api.node-wasm.js") as Promise<
    unknown
  > as Promise<FaceApi>;
  return faceApi;
}

/** Reads one net's weights from the package's model folder. */
async function weightMap(name: string): Promise<tf.NamedTensorMap> {
  let manifest: { weights: tf.io.WeightsManifestEntry[] }[];
  let bin: Uint8Array;
  try {
    manifest = JSON.parse(
      await Deno.readTextFile(new URL(`${name}-weights_manifest.json`, DETECTOR_MODEL_DIR)),
    );
    bin = await Deno.readFile(new URL(`${name}.bin`, DETECTOR_MODEL_DIR));
  } catch (error) {
    throw new Error(
      `face detector weights ${name} not found in ${DETECTOR_MODEL_DIR.pathname} (run \`deno install\`): ${
        (error as Error).message
      }`,
    );
  }
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  return tf.io.decodeWeights(buffer, manifest.flatMap((group) => group.weights));
}

/** The five alignment points of a 68-point set. */
export function fivePoints(points: readonly Point[]): Landmarks5 {
  const mean = (from: number, to: number): Point => {
    let x = 0, y = 0;
    for (let i = from; i <= to; i++) {
      x += points[i][0];
      y += points[i][1];
    }
    return [x / (to - from + 1), y / (to - from + 1)];
  };
  return [mean(36, 41), mean(42, 47), points[30], points[48], points[54]];
}

/** A decoded image as the detector's RGB input, shrunk by an integer factor when very large. */
function detectorInput(image: RawImage): { input: tf.Tensor3D; factor: number } {
  const { width, height, channels, pixels } = image;
  const factor = Math.max(1, Math.ceil(Math.max(width, height) / DETECT_MAX_SIDE));
  const w = Math.floor(width / factor), h = Math.floor(height / factor);
  const rgb = new Int32Array(w * h * 3);
  const area = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const from = channels >= 3 ? c : 0;
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * width;
          for (let dx = 0; dx < factor; dx++) {
            sum += pixels[(row + x * factor + dx) * channels + from];
          }
        }
        rgb[o + c] = Math.round(sum / area);
      }
    }
  }
  return { input: tf.tensor3d(rgb, [h, w, 3], "int32"), factor };
}

/** Finds faces and their landmarks in decoded photos. */
export class FaceDetector {
  /** Which detector runs. */
  readonly kind: DetectorKind;
  /** Lowest score that counts as a face. */
  readonly minScore: number;
  readonly #api: FaceApi;

  private constructor(api: FaceApi, kind: DetectorKind, minScore: number) {
    this.#api = api;
    this.kind = kind;
    this.minScore = minScore;
  }

  /**
   * Loads the package and its weights onto the current tfjs backend (call after
   * `selectBackend`). Nets are loaded once per process, whichever detector asks first.
   */
  static async open(options: DetectorOptions = {}): Promise<FaceDetector> {
    const kind = options.kind ?? "ssd";
    const api = await loadFaceApi();
    await loadNet(api, kind === "ssd" ? "ssd" : "tiny");
    await loadNet(api, "landmarks");
    return new FaceDetector(api, kind, options.minScore ?? DEFAULT_MIN_SCORE);
  }

  /** What runs, in words. */
  describe(): string {
    return `${DETECTOR_PACKAGE} ${
      this.kind === "ssd" ? "SSD MobileNet v1" : "tiny face detector"
    } (score >= ${this.minScore}) + 68-point landmarks`;
  }

  /**
   * The faces in `image` that score at least `minScore`, largest first. The detector runs
   * three times: on the photo, and on the photo in grey borders a quarter and three quarters of
   * its longest side wide (the SSD detector misses faces that fill much of the frame: on a
   * sample of 80 deep-funneled LFW images it found 73 at 0.5 alone, 80 with the first border;
   * on 30 LFW photos whose centre was enlarged (the robustness benchmark's "zoomed") 24 alone,
   * 30 with the wider border); overlapping boxes of the passes are one face, with the best score.
   */
  async detect(image: RawImage): Promise<DetectedFace[]> {
    return await detectFaces(this.#api, image, { kind: this.kind, minScore: this.minScore });
  }
}

/** Width of each pass's border, as a share of the photo's longest side. */
export const PAD_SHARES = [0, 0.25, 0.75];
/** Boxes that overlap more than this (intersection over union) are one face. */
export const SAME_FACE_IOU = 0.4;

/** Intersection over union of two boxes. */
function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * The faces in `image` that score at least `options.minScore`, largest first, by face-api
 * (`api`, its nets loaded) on the current tfjs backend: see {@linkcode FaceDetector.detect}. A
 * function of its own so that the export's face_comparer.js carries this very code.
 */
export async function detectFaces(
  api: FaceApi,
  image: RawImage,
  options: { kind: DetectorKind; minScore: number },
): Promise<DetectedFace[]> {
  const { input, factor } = detectorInput(image);
  const longest = Math.max(input.shape[0], input.shape[1]);
  const found: DetectedFace[] = [];
  try {
    for (const pad of PAD_SHARES.map((share) => Math.round(share * longest))) {
      const x = pad === 0 ? input : tf.pad(input, [[pad, pad], [pad, pad], [0, 0]], 128);
      try {
        const detectorOptions = options.kind === "ssd"
          ? new api.SsdMobilenetv1Options({ minConfidence: options.minScore, maxResults: 20 })
          : new api.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: options.minScore });
        const results = await api.detectAllFaces(x, detectorOptions).withFaceLandmarks();
        for (const r of results) {
          const b = r.detection.box;
          const points = r.landmarks.positions.map((p): Point => [
            (p.x - pad) * factor,
            (p.y - pad) * factor,
          ]);
          found.push({
            box: {
              left: (b.x - pad) * factor,
              top: (b.y - pad) * factor,
              width: b.width * factor,
              height: b.height * factor,
            },
            score: r.detection.score,
            landmarks: fivePoints(points),
            points,
          });
        }
      } finally {
        if (x !== input) x.dispose();
      }
    }
  } finally {
    input.dispose();
  }
  // One face per cluster of overlapping boxes: the best-scoring one.
  const kept: DetectedFace[] = [];
  for (const face of found.sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => overlap(k.box, face.box) < SAME_FACE_IOU)) kept.push(face);
  }
  return kept.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}

/** The helpers {@linkcode detectFaces} calls and its constants, for the export's module. */
export const DETECT_HELPERS: readonly ((...args: never[]) => unknown)[] = [
  detectorInput,
  fivePoints,
  overlap,
];

const loaded = new Set<string>();
async function loadNet(api: FaceApi, which: "ssd" | "tiny" | "landmarks"): Promise<void> {
  if (loaded.has(which)) return;
  const net = which === "ssd"
    ? api.nets.ssdMobilenetv1
    : which === "tiny"
    ? api.nets.tinyFaceDetector
    : api.nets.faceLandmark68Net;
  net.loadFromWeightMap(await weightMap(DETECTOR_WEIGHTS[which]));
  loaded.add(which);
}
