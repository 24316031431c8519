/**
 * Content hashes of raw input data (image folders, protocol files), the keys of the inputs
 * that no stage produced. Like DVC's state database, a folder's hash is remembered against a
 * fingerprint of its files' paths, sizes and modification times, so an unchanged folder of
 * 13,000 images is recognised from a directory walk without reading every file again.
 * @module
 */
import { join, relative, resolve } from "node:path";
import { canonicalJson, sha256Hex } from "../util/hash.ts";
import { readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import { mapLimit } from "../util/concurrency.ts";

interface StateEntry {
  fingerprint: string;
  contentHash: string;
}

/** Options of {@linkcode hashFolder}. */
export interface HashFolderOptions {
  /** File of remembered hashes (default: no memory, always read every file). */
  stateFile?: string;
  /**
   * Hash a symbolic link to nothing by where it points instead of refusing it (`prepare
   * --skip-bad`, which leaves such files out with a warning).
   */
  danglingLinks?: boolean;
}

/**
 * Lists regular files under `dir` recursively, sorted, as paths relative to `dir`. Symbolic
 * links are followed (a link to a folder is walked once; a link to nothing is listed, and
 * refused where it is read). Synchronous on purpose: for 13,000 files it is twice as fast as
 * the async walk.
 */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walked = new Set<string>();
  function walk(current: string): void {
    const real = Deno.realPathSync(current);
    if (walked.has(real)) return;
    walked.add(real);
    for (const entry of Deno.readDirSync(current)) {
      const path = join(current, entry.name);
      let isDirectory = entry.isDirectory;
      if (entry.isSymlink) {
        try {
          isDirectory = Deno.statSync(path).isDirectory;
        } catch {
          isDirectory = false;
        }
      }
      if (isDirectory) walk(path);
      else if (entry.isFile || entry.isSymlink) out.push(relative(dir, path));
    }
  }
  walk(dir);
  return out.sort();
}

/**
 * The SHA-256 of a folder's content: of each file's relative path and content hash, in path
 * order. Reads every file unless the state file remembers the same fingerprint.
 */
export async function hashFolder(dir: string, options: HashFolderOptions = {}): Promise<string> {
  const abs = resolve(dir);
  let files: string[];
  try {
    files = listTree(abs);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UserError(`folder not found: ${dir}`);
    throw error;
  }
  const dangling = new Map<string, string>();
  const stats = files.map((rel) => {
    let s: Deno.FileInfo;
    try {
      s = Deno.statSync(join(abs, rel));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && options.danglingLinks) {
        const target = Deno.readLinkSync(join(abs, rel));
        dangling.set(rel, target);
        return [rel, "link to nothing", target];
      }
      if (error instanceof Deno.errors.NotFound) {
        throw new UserError(
          `${join(abs, rel)} cannot be read: it is a link to a file that does not exist`,
        );
      }
      throw error;
    }
    return [rel, s.size, s.mtime?.getTime() ?? 0];
  });
  const fingerprint = await sha256Hex(canonicalJson(stats));
  // The state file is a cache: a damaged one is ignored (and rewritten below).
  let state: Record<string, StateEntry> = {};
  if (options.stateFile) {
    const read = await readJsonIfExists<Record<string, StateEntry>>(options.stateFile)
      .catch(() => undefined);
    if (read && typeof read === "object" && !Array.isArray(read)) state = read;
  }
  const remembered = state[abs];
  if (
    remembered?.fingerprint === fingerprint && typeof remembered.contentHash === "string"
  ) return remembered.contentHash;

  const hashes = await mapLimit(
    files,
    async (rel) =>
      `${rel}\0${
        dangling.has(rel)
          ? `link to nothing: ${dangling.get(rel)}`
          : await sha256Hex(await Deno.readFile(join(abs, rel)))
      }\n`,
    { limit: 16 },
  );
  const contentHash = await sha256Hex(hashes.join(""));
  if (options.stateFile) {
    state[abs] = { fingerprint, contentHash };
    await writeJsonAtomic(options.stateFile, state);
  }
  return contentHash;
}

/** The SHA-256 of one file's content, with a clear error if it cannot be read. */
export async function hashInputFile(path: string, what: string): Promise<string> {
  try {
    return await sha256Hex(await Deno.readFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UserError(`${what} not found: ${path}`);
    throw new UserError(`${what} cannot be read: ${path} (${(error as Error).message})`);
  }
}
