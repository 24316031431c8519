/**
 * Finding out what kind of face image folder the user gave: an LFWcrop_grey `faces/` folder of
 * PGM files, or LFW's per-person JPEG folders (original 250x250, the 150x150 copy, or
 * deep-funneled), and listing its images with their people.
 * @module
 */
import { basename, join } from "node:path";
import { UserError } from "../util/errors.ts";
import { type FaceName, parseFaceFileName } from "./face_file_name.ts";

/** The layouts `prepare` understands. */
export type SourceKind = "lfwcrop-pgm" | "lfw-jpeg";

/** One image of the source. */
export interface SourceImage extends FaceName {
  /** Path relative to the source folder, e.g. `AJ_Cook/AJ_Cook_0001.jpg`. */
  file: string;
}

/** A detected image folder. */
export interface ImageSource {
  kind: SourceKind;
  /** The folder the images are in (for LFWcrop: the `faces/` folder). */
  dir: string;
  /** The images, sorted by file path. */
  images: SourceImage[];
  /** File names that did not parse (only with `skipBad`; otherwise an error is thrown). */
  badNames: string[];
}

const IMAGE_EXT = /\.(jpe?g|pgm|png)$/i;

/** Throws a UserError unless `dir` is an existing folder. */
export function assertFolder(dir: string): void {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(dir);
  } catch {
    throw new UserError(`images folder not found: ${dir}`);
  }
  if (!stat.isDirectory) throw new UserError(`--images must be a folder, not a file: ${dir}`);
}

function readDirOrFail(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => !e.name.startsWith("."));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`images folder not found: ${dir}`);
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UserError(`--images must be a folder, not a file: ${dir}`);
    }
    throw new UserError(`cannot read images folder ${dir}: ${(error as Error).message}`);
  }
}

/**
 * Detects the layout of `dir` and lists its images. Throws a UserError naming the folder or
 * file when the folder is missing, empty, of an unknown layout, or has a file name that is not
 * `Name_NNNN.ext` (unless `skipBad`, which collects such names instead).
 */
export function detectImageSource(dir: string, options: { skipBad?: boolean } = {}): ImageSource {
  let entries = readDirOrFail(dir);
  if (entries.length === 0) throw new UserError(`images folder is empty: ${dir}`);
  const faces = entries.find((e) => e.isDirectory && e.name === "faces");
  if (faces && !entries.some((e) => e.isFile && /\.pgm$/i.test(e.name))) {
    dir = join(dir, "faces");
    entries = readDirOrFail(dir);
  }
  const badNames: string[] = [];
  const accept = (file: string, person?: string): SourceImage | undefined => {
    const parsed = parseFaceFileName(basename(file));
    const problem = !parsed
      ? "is not named Person_Name_NNNN.ext"
      : person !== undefined && parsed.person !== person
      ? `is in the folder of ${person} but named for ${parsed.person}`
      : undefined;
    if (problem) {
      if (!options.skipBad) throw new UserError(`${join(dir, file)} ${problem}`);
      badNames.push(file);
      return undefined;
    }
    return { file, ...parsed! };
  };

  const pgms = entries.filter((e) => e.isFile && /\.pgm$/i.test(e.name));
  if (pgms.length > 0) {
    const images = pgms.map((e) => accept(e.name)).filter((x) => x !== undefined);
    return finish("lfwcrop-pgm", dir, images, badNames);
  }
  const people = entries.filter((e) => e.isDirectory);
  if (people.length > 0) {
    const images: SourceImage[] = [];
    for (const person of people) {
      for (const e of readDirOrFail(join(dir, person.name))) {
        if (!e.isFile || !IMAGE_EXT.test(e.name) || /\.pgm$/i.test(e.name)) continue;
        const image = accept(`${person.name}/${e.name}`, person.name);
        if (image) images.push(image);
      }
    }
    if (images.length > 0) return finish("lfw-jpeg", dir, images, badNames);
  }
  throw new UserError(
    `${dir} holds neither LFWcrop_grey PGM files (faces/Name_NNNN.pgm) nor LFW person ` +
      `folders (Name/Name_NNNN.jpg)`,
  );
}

function finish(
  kind: SourceKind,
  dir: string,
  images: SourceImage[],
  badNames: string[],
): ImageSource {
  if (images.length === 0) throw new UserError(`no usable images in ${dir}`);
  images.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { kind, dir, images, badNames };
}
