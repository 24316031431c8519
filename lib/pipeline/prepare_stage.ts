/**
 * The `prepare` stage: an image folder in, the prepared face array out.
 * @module
 */
import { join, resolve } from "node:path";
import type { PrepareParams } from "../config/defaults.ts";
import { saveFaceArray } from "../data/face_array.ts";
import { assertFolder, detectImageSource } from "../data/image_source.ts";
import { prepareFaces } from "../data/prepare_faces.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import { hashFolder } from "./content_hash.ts";
import { stage, stageCode } from "./stages.ts";
import { jpegDecoderName } from "../data/face_preprocessing.ts";

/** The code of the stage, as declared (see `stages.ts`). */
export const PREPARE_CODE = stage("prepare").code;

/** Options of {@linkcode ensurePrepared}. */
export interface PrepareOptions {
  /** The user's image folder. */
  images: string;
  params: PrepareParams;
  /** Rebuild even when cached. */
  force?: boolean;
}

/** The file that remembers content hashes of raw input folders. */
export function contentStateFile(store: ArtifactStore): string {
  return join(store.root, ".state", "content-hashes.json");
}

/** Returns the prepared faces for `options`, building them if needed. */
export async function ensurePrepared(
  store: ArtifactStore,
  options: PrepareOptions,
): Promise<Artifact> {
  const images = resolve(options.images);
  assertFolder(images);
  const imagesHash = await hashFolder(images, {
    stateFile: contentStateFile(store),
    danglingLinks: options.params.skipBad,
  });
  const decoder = await jpegDecoderName();
  const { artifact } = await store.ensure(
    {
      stage: "prepare",
      code: stageCode("prepare"),
      params: options.params,
      // The JPEG decoder changes pixels by rounding (libjpeg's grey plane or sharp's colour).
      inputs: { images: imagesHash, decoder },
    },
    async (dir) => {
      const source = detectImageSource(images, { skipBad: options.params.skipBad });
      console.log(
        `prepare: ${images}: ${describeSource(source.kind)}, ${source.images.length} images; ` +
          `JPEG decoder: ${decoder}`,
      );
      const { faces, skipped } = await prepareFaces(source, options.params);
      await saveFaceArray(dir, faces);
      return {
        imagesDir: images,
        sourceKind: source.kind,
        images: faces.entries.length,
        people: new Set(faces.entries.map((e) => e.person)).size,
        skipped,
      };
    },
    { force: options.force },
  );
  return artifact;
}

function describeSource(kind: string): string {
  return kind === "lfwcrop-pgm"
    ? "LFWcrop PGM faces (already cropped)"
    : "LFW per-person JPEG folders (the crop box scaled to each image's size)";
}
