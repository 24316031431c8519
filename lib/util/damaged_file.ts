/**
 * Damage found while reading an artifact's file. The store trusts a cached file whose size and
 * modification time are those it was hashed with (re-hashing gigabytes per task is too slow), so
 * damage that keeps both (a changed byte, a restored time) shows only when the file is read: its
 * own checksum fails (a checkpoint) or it does not parse as what it should be. Such a file is a
 * one-line {@linkcode DamagedFileError} naming the file and the repair, never a stack trace.
 * @module
 */
import { UserError } from "./errors.ts";

/**
 * The repair of a damaged file in a finished artifact: a full check finds it and the task that
 * builds it rebuilds it (from its intact files where it can), or `--force` rebuilds it all.
 */
export const VERIFY_REPAIR =
  "its size and time are unchanged, so only a full check finds it: rerun the task that builds it " +
  "with FACE_COMPARER_VERIFY=full (e.g. `FACE_COMPARER_VERIFY=full deno task train NAME`), which " +
  "rebuilds what is damaged from the intact files, or with --force";

/** A file that is not what it should be (see the module). */
export class DamagedFileError extends UserError {
  /** The damaged file. */
  readonly path: string;
  /** What is wrong with it, without the repair. */
  readonly reason: string;

  /** `repair` says how to mend it (default {@linkcode VERIFY_REPAIR}). */
  constructor(path: string, reason: string, repair: string = VERIFY_REPAIR) {
    super(`${path} is damaged (${reason}); ${repair}`);
    this.name = "DamagedFileError";
    this.path = path;
    this.reason = reason;
  }
}

/** What is wrong with an error's file, for a message of one's own (its first line). */
export function damageReason(error: unknown): string {
  if (error instanceof DamagedFileError) return error.reason;
  return String((error as Error)?.message ?? error).split("\n")[0];
}

/**
 * Reads and parses a JSON file that an artifact holds; a file that does not parse, or whose
 * value `problem` finds fault with (it returns what is wrong), is a DamagedFileError. A missing
 * file is `undefined` when `optional`, else damage too.
 */
export async function readArtifactJson<T>(
  path: string,
  options: {
    problem?: (value: unknown) => string | undefined;
    optional?: boolean;
    repair?: string;
  } = {},
): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      if (options.optional) return undefined as T;
      throw new DamagedFileError(path, "it is missing", options.repair);
    }
    throw new DamagedFileError(path, damageReason(error), options.repair);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DamagedFileError(path, `not valid JSON: ${damageReason(error)}`, options.repair);
  }
  const problem = options.problem?.(value);
  if (problem !== undefined) throw new DamagedFileError(path, problem, options.repair);
  return value as T;
}

/** Whether `value` is an array of integers. */
export function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((x) => Number.isInteger(x));
}

/** Whether `value` is an array of strings. */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((x) => typeof x === "string");
}

/** For {@linkcode readArtifactJson}'s `problem`: a parsed file that should be a JSON object. */
export function notAnObject(value: unknown): string | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? undefined
    : "not an object";
}
