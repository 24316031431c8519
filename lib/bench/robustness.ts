/**
 * The robustness benchmark (`deno task bench --robustness NAME`): View 1 test pairs compared
 * the way `compare` compares photos (detection, alignment, the model's crop, the calibrated
 * probability at the model's threshold) after each photo is re-framed as photos outside LFW are:
 * off-centre in a larger canvas, zoomed in, in a phone's portrait frame, rotated 10 and 20
 * degrees, with its brightness and contrast changed, saved as JPEG quality 30, shrunk so the face
 * is 80 pixels wide. Each transform's accuracy stands beside the untransformed photos' (read with
 * detection, and with the fixed box the LFW protocol figures use). A pair with a photo where no
 * face is found counts as an error (a refusal). Images without a face (blank, noise, a landscape,
 * made here) must never get a verdict.
 *
 * Without a model (`--robustness-crops`) it measures the detector and the alignment alone: the
 * photos refused per transform, and how well each transform's aligned crop agrees with the crop
 * the model was trained on (the fixed box of the untransformed LFW photo; Pearson correlation,
 * "r train") and with the aligned crop of the untransformed photo ("r none").
 * @module
 */
import sharp from "sharp";
import type { Landmarks5 } from "../data/face_alignment.ts";
import type { FaceComparer } from "../compare/face_comparer.ts";
import type { FaceDetector } from "../compare/face_detector.ts";
import { readFaceBytes } from "../compare/face_image.ts";
import { UserError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

/** The transforms, in the order reported. */
export const ROBUSTNESS_TRANSFORMS = [
  "none",
  "offcentre",
  "zoomed",
  "portrait",
  "rotated10",
  "rotated20",
  "brightness",
  "jpeg30",
  "face80",
] as const;
/** One of {@linkcode ROBUSTNESS_TRANSFORMS}. */
export type RobustnessTransform = typeof ROBUSTNESS_TRANSFORMS[number];

/** What each transform does to a square LFW photo of side S, in words. */
export const TRANSFORM_DESCRIPTIONS: Record<RobustnessTransform, string> = {
  none: "the photo as it is",
  offcentre: "in a 2.5S x 2S grey canvas, its corner at (1.3S, 0.8S)",
  zoomed: "its central 60% enlarged to S (the face fills more of the frame)",
  portrait: "enlarged 1.2x in a 9:16 portrait canvas 2.2S high, in its upper half",
  rotated10: "rotated 10 degrees (canvas enlarged, grey corners)",
  rotated20: "rotated 20 degrees (canvas enlarged, grey corners)",
  brightness: "contrast x0.6, brightness +60 grey levels",
  jpeg30: "re-encoded as JPEG quality 30",
  face80: "resized to 200 px, so that its face (100 px of the 250 frame) is 80 px",
};

const GREY = { r: 120, g: 124, b: 128 };

/** A photo's bytes re-framed by `transform` (PNG, or JPEG for `jpeg30`). */
export async function transformPhoto(
  bytes: Uint8Array,
  transform: RobustnessTransform,
): Promise<Uint8Array> {
  if (transform === "none") return bytes;
  const upright = await sharp(bytes).rotate().removeAlpha().png().toBuffer();
  const { width, height } = await sharp(upright).metadata() as { width: number; height: number };
  const s = Math.min(width, height);
  const png = (x: sharp.Sharp) => x.png().toBuffer().then((b) => new Uint8Array(b));
  switch (transform) {
    case "offcentre":
      return png(
        sharp({
          create: {
            width: Math.round(2.5 * s),
            height: Math.round(2 * s),
            channels: 3,
            background: GREY,
          },
        }).composite([{ input: upright, left: Math.round(1.3 * s), top: Math.round(0.8 * s) }]),
      );
    case "zoomed": {
      const side = Math.round(0.6 * s);
      return png(
        sharp(upright).extract({
          left: Math.round((width - side) / 2),
          top: Math.round((height - side) / 2),
          width: side,
          height: side,
        }).resize(s, s, { kernel: "lanczos3" }),
      );
    }
    case "portrait": {
      const h = Math.round(2.2 * s), w = Math.round((h * 9) / 16);
      const big = await sharp(upright).resize(Math.round(1.2 * width), Math.round(1.2 * height))
        .png().toBuffer();
      return png(
        sharp({ create: { width: w, height: h, channels: 3, background: { r: 40, g: 42, b: 48 } } })
          .composite([{
            input: big,
            left: Math.round((w - 1.2 * width) / 2),
            top: Math.round(0.12 * h),
          }]),
      );
    }
    case "rotated10":
    case "rotated20":
      return png(sharp(upright).rotate(transform === "rotated10" ? 10 : 20, { background: GREY }));
    case "brightness":
      return png(sharp(upright).linear(0.6, 60));
    case "jpeg30":
      return new Uint8Array(await sharp(upright).jpeg({ quality: 30 }).toBuffer());
    case "face80":
      return png(
        sharp(upright).resize(Math.round((200 * width) / s), Math.round((200 * height) / s)),
      );
  }
}

/** Images without a face: a blank grey picture, noise, and a landscape (sky, sun, hills, trees). */
export async function facelessPhotos(): Promise<
  Record<"blank" | "noise" | "landscape", Uint8Array>
> {
  const blank = await sharp({
    create: { width: 320, height: 240, channels: 3, background: "#808080" },
  })
    .png().toBuffer();
  const rng = new Rng(11);
  const pixels = new Uint8Array(320 * 240 * 3).map(() => rng.nextInt(256));
  const noise = await sharp(pixels, { raw: { width: 320, height: 240, channels: 3 } }).png()
    .toBuffer();
  const trees = Array.from(
    { length: 7 },
    (_, i) =>
      `<rect x="${60 + i * 75}" y="250" width="10" height="40" fill="#5b3a1a"/><polygon points="${
        40 + i * 75
      },260 ${65 + i * 75},${170 + (i % 3) * 20} ${90 + i * 75},260" fill="#1f5f2a"/>`,
  ).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400">
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#4a7bc8"/><stop offset="1" stop-color="#cfe3f5"/></linearGradient></defs>
<rect width="640" height="400" fill="url(#sky)"/><circle cx="520" cy="80" r="40" fill="#fff2a8"/>
<path d="M0 260 Q160 170 320 250 T640 230 V400 H0 Z" fill="#6f9e4c"/>
<path d="M0 320 Q200 280 400 330 T640 310 V400 H0 Z" fill="#557d38"/>${trees}</svg>`;
  const landscape = await sharp(new TextEncoder().encode(svg)).jpeg({ quality: 90 }).toBuffer();
  return {
    blank: new Uint8Array(blank),
    noise: new Uint8Array(noise),
    landscape: new Uint8Array(landscape),
  };
}

/** One pair of photos (paths) and whether they show the same person. */
export interface RobustnessPair {
  a: string;
  b: string;
  same: boolean;
}

/** Options of {@linkcode runRobustness}. */
export interface RobustnessOptions {
  pairs: readonly RobustnessPair[];
  detector: FaceDetector;
  canonical: Landmarks5;
  /** The model's crop and prepared size. */
  prepare: { box: [number, number, number, number]; size: number };
  /** The model; absent: the detector and the alignment alone (refusals, crop agreement). */
  comparer?: FaceComparer;
  transforms?: readonly RobustnessTransform[];
  /** Called after each photo is read under every transform. */
  onPhoto?: () => void;
}

/** One transform's figures. */
export interface RobustnessRow {
  transform: RobustnessTransform | "fixed box";
  description: string;
  pairs: number;
  /** Pairs with a photo in which no face was found. */
  refusedPairs: number;
  /** Photos in which no face was found, of `photos`. */
  refusedPhotos: number;
  photos: number;
  /** Accuracy over all pairs at the model's threshold, a refused pair counted wrong (with a model). */
  accuracy: number | null;
  /** Accuracy over the pairs compared (with a model). */
  accuracyCompared: number | null;
  /** Mean correlation of the crops read with the fixed-box crops of the untransformed photos. */
  cropAgreement: number | null;
  /** ... with the aligned crops of the untransformed photos (the alignment's invariance). */
  cropAgreementNone: number | null;
}

/** The benchmark's result. */
export interface RobustnessResult {
  /** The fixed box on the untransformed photos (the LFW protocol's reading), then each transform. */
  rows: RobustnessRow[];
  /** Images without a face, and how many got a face (with a model: a verdict). */
  faceless: { images: number; faces: number; verdicts: number | null };
  /** The calibrated threshold the verdicts are taken at (with a model). */
  threshold: number | null;
}

function correlation(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Runs the benchmark over `options.pairs`. */
export async function runRobustness(options: RobustnessOptions): Promise<RobustnessResult> {
  const transforms = options.transforms ?? ROBUSTNESS_TRANSFORMS;
  const detect = { detector: options.detector, canonical: options.canonical };
  const photos = [...new Set(options.pairs.flatMap((p) => [p.a, p.b]))];
  // Each photo's crop under each transform (undefined: no face), and its fixed-box crop.
  const fixed = new Map<string, Uint8Array>();
  const crops = new Map<RobustnessTransform, Map<string, Uint8Array | undefined>>(
    transforms.map((t) => [t, new Map()]),
  );
  for (const path of photos) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch {
      throw new UserError(`robustness: photo not found: ${path}`);
    }
    fixed.set(path, (await readFaceBytes(bytes, path, options.prepare)).face);
    for (const t of transforms) {
      const transformed = await transformPhoto(bytes, t);
      try {
        crops.get(t)!.set(
          path,
          (await readFaceBytes(transformed, path, options.prepare, detect)).face,
        );
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        crops.get(t)!.set(path, undefined);
      }
    }
    options.onPhoto?.();
  }
  const comparer = options.comparer;
  const threshold = comparer ? comparer.calibratedThreshold : null;
  const none = crops.get("none");
  const meanCorrelation = (
    read: Map<string, Uint8Array | undefined>,
    to?: Map<string, Uint8Array | undefined>,
  ) => {
    if (!to) return null;
    const r = photos.filter((p) => read.get(p) && to.get(p)).map((p) =>
      correlation(read.get(p)!, to.get(p)!)
    );
    return r.length ? r.reduce((s, v) => s + v, 0) / r.length : null;
  };
  const row = async (
    transform: RobustnessRow["transform"],
    read: Map<string, Uint8Array | undefined>,
  ): Promise<RobustnessRow> => {
    const refusedPhotos = photos.filter((p) => !read.get(p)).length;
    const compared = options.pairs.filter((p) => read.get(p.a) && read.get(p.b));
    let correct: number | null = null;
    if (comparer && compared.length > 0) {
      const probabilities = comparer.calibrated(
        await comparer.compare(compared.map((p) => [read.get(p.a)!, read.get(p.b)!])),
      );
      correct = compared.filter((p, k) => (probabilities[k] >= threshold!) === p.same).length;
    }
    return {
      transform,
      description: transform === "fixed box"
        ? "untransformed, the model's box of the centred square (no detection)"
        : TRANSFORM_DESCRIPTIONS[transform],
      pairs: options.pairs.length,
      refusedPairs: options.pairs.length - compared.length,
      refusedPhotos,
      photos: photos.length,
      accuracy: correct === null ? (comparer ? 0 : null) : correct / options.pairs.length,
      accuracyCompared: correct === null ? null : correct / compared.length,
      cropAgreement: meanCorrelation(read, fixed),
      cropAgreementNone: meanCorrelation(read, none),
    };
  };
  const rows = [await row("fixed box", new Map([...fixed]))];
  for (const t of transforms) rows.push(await row(t, crops.get(t)!));
  // Faceless images, each paired with the first photo: a face found in one is a verdict.
  let faces = 0, verdicts = 0;
  const faceless = Object.entries(await facelessPhotos());
  for (const [name, bytes] of faceless) {
    let face: Uint8Array | undefined;
    try {
      face = (await readFaceBytes(bytes, name, options.prepare, detect)).face;
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
    }
    if (!face) continue;
    faces++;
    const other = crops.get(transforms[0])?.get(photos[0]) ?? fixed.get(photos[0])!;
    if (comparer) {
      await comparer.compare([[face, other]]);
      verdicts++;
    }
  }
  return {
    rows,
    faceless: { images: faceless.length, faces, verdicts: comparer ? verdicts : null },
    threshold,
  };
}

/** View 1 test pairs as photo paths: a seeded, balanced sample of `count` (all when larger). */
export function samplePairs(
  pairs: readonly RobustnessPair[],
  count: number,
  seed = 1,
): RobustnessPair[] {
  const rng = new Rng(seed);
  const same = rng.shuffle(pairs.filter((p) => p.same));
  const different = rng.shuffle(pairs.filter((p) => !p.same));
  const half = Math.ceil(count / 2);
  return [...same.slice(0, half), ...different.slice(0, count - Math.min(half, same.length))]
    .slice(0, count);
}

/** The figures as a table for the terminal. */
export function formatRobustness(result: RobustnessResult): string[] {
  const pct = (
    v: number | null,
  ) => (v === null ? "     -" : `${(100 * v).toFixed(1).padStart(5)}%`);
  const base = result.rows.find((r) => r.transform === "none")?.accuracy ?? null;
  const lines = [
    `${"transform".padEnd(11)} ${"accuracy".padStart(8)} ${"vs none".padStart(8)} ${
      "compared".padStart(9)
    } ${"refused".padStart(8)} ${"r train".padStart(7)} ${"r none".padStart(7)}  what`,
  ];
  for (const r of result.rows) {
    const delta = r.accuracy === null || base === null
      ? "       -"
      : `${(100 * (r.accuracy - base)).toFixed(1).padStart(7)}p`;
    lines.push(
      `${r.transform.padEnd(11)} ${pct(r.accuracy).padStart(8)} ${delta} ${
        pct(r.accuracyCompared).padStart(9)
      } ${`${r.refusedPhotos}/${r.photos}`.padStart(8)} ${
        r.cropAgreement === null ? "      -" : r.cropAgreement.toFixed(3).padStart(7)
      } ${
        r.cropAgreementNone === null ? "      -" : r.cropAgreementNone.toFixed(3).padStart(7)
      }  ${r.description}`,
    );
  }
  lines.push(
    `faceless images: ${result.faceless.images}, a face found in ${result.faceless.faces}${
      result.faceless.verdicts === null ? "" : `, verdicts ${result.faceless.verdicts}`
    } (goal 0)`,
  );
  return lines;
}
