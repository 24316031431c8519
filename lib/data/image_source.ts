/**
 * Finding out what kind of face image folder the user gave: an LFWcrop_grey `faces/` folder of
 * PGM files, or LFW's per-person JPEG folders (original 250x250, the 150x150 copy, or
 * deep-funneled), and listing its images with their people.
 * @module
 */
import { basename, join } from "node:path";
import { UserError } from "../util/errors.ts";
import { faceId, type FaceName, parseFaceFileName } from "./face_file_name.ts";

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
  /**
   * Files left out (only with `skipBad`; otherwise each is an error): names that do not parse,
   * a second file of the same image (`X_0001.jpg` and `X_0001.JPG`), links to nothing.
   */
  bad: BadFile[];
}

/** A file of the folder that is not used, and why. */
export interface BadFile {
  /** Path relative to the source folder. */
  file: string;
  reason: string;
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

/** A folder entry, with a symbolic link taken as what it points to. */
interface Entry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  /** A link to nothing (neither a file nor a folder). */
  dangling: boolean;
}

function readDirOrFail(dir: string): Entry[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)].filter((e) => !e.name.startsWith("."));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`images folder not found: ${dir}`);
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UserError(`--images must be a folder, not a file: ${dir}`);
    }
    throw new UserError(`cannot read images folder ${dir}: ${(error as Error).message}`);
  }
  // Symbolic links are followed (a folder of links to LFW's files is an LFW folder).
  return entries.map((e) => {
    if (!e.isSymlink) {
      return { name: e.name, isFile: e.isFile, isDirectory: e.isDirectory, dangling: false };
    }
    try {
      const target = Deno.statSync(join(dir, e.name));
      return {
        name: e.name,
        isFile: target.isFile,
        isDirectory: target.isDirectory,
        dangling: false,
      };
    } catch {
      return { name: e.name, isFile: false, isDirectory: false, dangling: true };
    }
  });
}

/**
 * Detects the layout of `dir` and lists its images, following symbolic links. Throws a UserError
 * naming the folder or file when the folder is missing, empty, of an unknown layout, or has an
 * image file named other than `Name_NNNN.ext`, two files of one image (`X_0001.jpg` and
 * `X_0001.JPG`) or a link to nothing (unless `skipBad`, which collects those in `bad` instead,
 * keeping the first of two files of one image).
 */
export function detectImageSource(dir: string, options: { skipBad?: boolean } = {}): ImageSource {
  let entries = readDirOrFail(dir);
  if (entries.length === 0) throw new UserError(`images folder is empty: ${dir}`);
  const faces = entries.find((e) => e.isDirectory && e.name === "faces");
  if (faces && !entries.some((e) => e.isFile && /\.pgm$/i.test(e.name))) {
    dir = join(dir, "faces");
    entries = readDirOrFail(dir);
  }
  const bad: BadFile[] = [];
  const refuse = (file: string, problem: string) => {
    if (!options.skipBad) throw new UserError(`${join(dir, file)} ${problem}`);
    bad.push({ file, reason: problem });
  };
  /** The image of each LFW id (`Name_0001`) accepted so far: one file per image. */
  const seen = new Map<string, string>();
  const accept = (file: string, person?: string): SourceImage | undefined => {
    const parsed = parseFaceFileName(basename(file));
    const problem = !parsed
      ? "is not named Person_Name_NNNN.ext"
      : person !== undefined && parsed.person !== person
      ? `is in the folder of ${person} but named for ${parsed.person}`
      : undefined;
    if (problem) return void refuse(file, problem);
    const id = faceId(parsed!.person, parsed!.number);
    const other = seen.get(id);
    if (other !== undefined) {
      return void refuse(file, `is a second file of image ${id}, beside ${join(dir, other)}`);
    }
    seen.set(id, file);
    return { file, ...parsed! };
  };
  const dangling = (file: string) => refuse(file, "is a symbolic link to nothing");

  // Sorted first, so that of two files of one image the first by name is kept.
  const byName = (a: Entry, b: Entry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const pgms = entries.filter((e) => e.isFile && /\.pgm$/i.test(e.name)).sort(byName);
  if (pgms.length > 0) {
    for (const e of entries) if (e.dangling && IMAGE_EXT.test(e.name)) dangling(e.name);
    const images = pgms.map((e) => accept(e.name)).filter((x) => x !== undefined);
    return finish("lfwcrop-pgm", dir, images, bad);
  }
  const people = entries.filter((e) => e.isDirectory).sort(byName);
  if (people.length > 0) {
    const images: SourceImage[] = [];
    for (const person of people) {
      for (const e of readDirOrFail(join(dir, person.name)).sort(byName)) {
        const file = `${person.name}/${e.name}`;
        if (!IMAGE_EXT.test(e.name) || /\.pgm$/i.test(e.name)) continue;
        if (e.dangling) dangling(file);
        if (!e.isFile) continue;
        const image = accept(file, person.name);
        if (image) images.push(image);
      }
    }
    if (images.length > 0) return finish("lfw-jpeg", dir, images, bad);
  }
  const links = entries.filter((e) => e.dangling).map((e) => e.name);
  throw new UserError(
    `${dir} holds neither LFWcrop_grey PGM files (faces/Name_NNNN.pgm) nor LFW person ` +
      `folders (Name/Name_NNNN.jpg)${
        links.length ? ` (${links.length} symbolic links to nothing, e.g. ${links[0]})` : ""
      }`,
  );
}

function finish(
  kind: SourceKind,
  dir: string,
  images: SourceImage[],
  bad: BadFile[],
): ImageSource {
  if (images.length === 0) throw new UserError(`no usable images in ${dir}`);
  images.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { kind, dir, images, bad };
}
