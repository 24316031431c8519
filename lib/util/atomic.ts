/**
 * Atomic file writes: a temporary name in the same folder, then a rename, so a killed process
 * never leaves a half-written file under the final name.
 * @module
 */
import { dirname, join } from "node:path";
import { fileSystemRefusal, UserError } from "./errors.ts";

/**
 * Writes bytes to `path` atomically, creating the parent folder if needed. A place the machine
 * refuses to write (no permission, a read-only or full disk) is a UserError naming `path`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.mkdir(dir, { recursive: true });
    await writeInPieces(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    const refusal = fileSystemRefusal(error);
    if (refusal) throw new UserError(`cannot write ${path}: ${refusal}`);
    throw error;
  }
}

/** Bytes written per call: Deno.writeFile copies its whole buffer first (a second face array). */
const PIECE = 8 << 20;

/** Writes `data` to a new file `path` piece by piece, so no copy of the whole is made. */
async function writeInPieces(path: string, data: Uint8Array): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let offset = 0; offset < data.length;) {
    offset += await file.write(data.subarray(offset, Math.min(data.length, offset + PIECE)));
  }
}

/** Writes a value as indented JSON to `path` atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n"));
}

/** Reads and parses a JSON file, or returns `undefined` if it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}
