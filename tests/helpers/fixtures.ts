/**
 * Test fixtures: temporary folders, generated face images, and the real LFW listing.
 * @module
 */
import { join } from "node:path";
import sharp from "sharp";
import { defaultImagesDir } from "../../lib/config/defaults.ts";
import { encodePgm } from "../../lib/data/pgm.ts";
import { detectImageSource } from "../../lib/data/image_source.ts";
import type { FaceEntry } from "../../lib/data/face_array.ts";
import { Rng } from "../../lib/util/rng.ts";
import { AUGMENT_DEFAULTS } from "../../lib/augment/affine_augmenter.ts";
import { PREPARE_DEFAULTS, SPLIT_DEFAULTS } from "../../lib/config/defaults.ts";
import type { TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { ADAM_DEFAULTS } from "../../lib/train/adam.ts";

/** Makes a temporary folder and returns its path. */
export function tempDir(prefix = "fc_test_"): string {
  return Deno.makeTempDirSync({ prefix });
}

/** A deterministic noise image with a per-person mean, so people differ. */
export function noiseImage(
  width: number,
  height: number,
  channels: number,
  seed: number,
): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(width * height * channels);
  const base = 40 + (seed % 7) * 25;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, base + rng.nextInt(60));
  return out;
}

/** Writes `people` x `perPerson` LFW-style JPEGs (`Name/Name_NNNN.jpg`) of `size` pixels. */
export async function writeJpegFolder(
  dir: string,
  options: { people: number; perPerson: number | number[]; size?: number },
): Promise<void> {
  const size = options.size ?? 250;
  for (let p = 0; p < options.people; p++) {
    const person = `Person_${String.fromCharCode(65 + (p % 26))}${p}`;
    await Deno.mkdir(join(dir, person), { recursive: true });
    const count = Array.isArray(options.perPerson) ? options.perPerson[p] : options.perPerson;
    for (let n = 1; n <= count; n++) {
      const pixels = noiseImage(size, size, 3, p * 100 + n);
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(join(dir, person, `${person}_${String(n).padStart(4, "0")}.jpg`));
    }
  }
}

/** Writes `people` x `perPerson` LFWcrop-style PGM faces into `dir/faces/`. */
export function writePgmFolder(
  dir: string,
  options: { people: number; perPerson: number; size?: number },
): void {
  const size = options.size ?? 64;
  Deno.mkdirSync(join(dir, "faces"), { recursive: true });
  for (let p = 0; p < options.people; p++) {
    const person = `Pgm_Person${p}`;
    for (let n = 1; n <= options.perPerson; n++) {
      const pixels = noiseImage(size, size, 1, p * 100 + n);
      Deno.writeFileSync(
        join(dir, "faces", `${person}_${String(n).padStart(4, "0")}.pgm`),
        encodePgm({ width: size, height: size, pixels }),
      );
    }
  }
}

let lfwCache: FaceEntry[] | undefined;

/** The entries of the shared LFW copy (file names only, nothing decoded). */
export function lfwEntries(): FaceEntry[] {
  lfwCache ??= detectImageSource(defaultImagesDir()).images.map(({ file, person, number }) => ({
    file,
    person,
    number,
  }));
  return lfwCache;
}

/**
 * Options that train `model` for one short epoch on the generated faces in `images` (seed
 * protocol, 48 training pairs, wasm, quiet): a real trained experiment in seconds.
 */
export function tinyTrainOptions(images: string, name: string, model: string): TrainOptions {
  return {
    name,
    split: {
      prepare: { images, params: PREPARE_DEFAULTS },
      params: { ...SPLIT_DEFAULTS, trainPairs: 48, valPairs: 16, testPairs: 16 },
      // Not read by the seed protocol.
      protocolFiles: { pairs: "", people: "", pairsDevTest: "", peopleDevTrain: "" },
    },
    params: {
      model,
      epochs: 1,
      batchSize: 16,
      seed: 3,
      augment: AUGMENT_DEFAULTS,
      adam: ADAM_DEFAULTS,
      schedule: "constant",
      warmupEpochs: 0,
      minImagesPerPerson: 2,
    },
    backend: "wasm",
    progress: false,
    log: () => {},
  };
}

/**
 * Copies (or with `move`, renames) artifact `from` of `stage` to key `to`, its manifest saying
 * `to`: an artifact as another machine or earlier code would have keyed it.
 */
export async function rekeyArtifact(
  store: { dirOf(stage: string, key: string): string },
  stage: string,
  from: string,
  to: string,
  options: { move?: boolean } = {},
): Promise<void> {
  const source = store.dirOf(stage, from), target = store.dirOf(stage, to);
  if (options.move) await Deno.rename(source, target);
  else {
    await Deno.mkdir(target);
    for (const entry of Deno.readDirSync(source)) {
      await Deno.copyFile(`${source}/${entry.name}`, `${target}/${entry.name}`);
    }
  }
  const manifest = JSON.parse(await Deno.readTextFile(`${target}/manifest.json`));
  await Deno.writeTextFile(
    `${target}/manifest.json`,
    JSON.stringify({ ...manifest, key: to }, null, 2),
  );
}
