/**
 * What every optional native library of this project (`native/build/*.so`, built by
 * `deno task build-native`) checks before it is opened through Deno's FFI: the
 * `FACE_COMPARER_NATIVE=off` switch, that the file is built, and (once opened) that it was built
 * from the source beside it.
 *
 * @example
 * ```ts
 * import { nativeUnavailable, sourceSha256 } from "./native_library.ts";
 * const why = nativeUnavailable("/path/lib.so", "gcc and libjpeg");
 * if (!why) console.log(sourceSha256(new URL("../../native/face_decode.c", import.meta.url)));
 * ```
 * @module
 */
import { createHash } from "node:crypto";

/** Whether FACE_COMPARER_NATIVE switches native code off (`off`, `0` or `false`). */
export function nativeSwitchedOff(): boolean {
  const setting = Deno.env.get("FACE_COMPARER_NATIVE")?.toLowerCase();
  return setting === "off" || setting === "0" || setting === "false";
}

/** Why the library at `path` cannot be opened (switched off, not built), or undefined. */
export function nativeUnavailable(path: string, needs: string): string | undefined {
  if (nativeSwitchedOff()) return "disabled by FACE_COMPARER_NATIVE=off";
  try {
    Deno.statSync(path);
    return undefined;
  } catch {
    return `${path} is not built (run \`deno task build-native\`; it needs ${needs})`;
  }
}

/** The reason a `Deno.dlopen` of `path` failed, with what to do. */
export function openFailure(path: string, error: unknown): string {
  return `${path} could not be loaded (${
    String((error as Error).message).split("\n")[0]
  }): run \`deno task build-native\``;
}

/** SHA-256 of a library's source file, or undefined when it is not beside the build. */
export function sourceSha256(source: URL): string | undefined {
  try {
    return createHash("sha256").update(Deno.readFileSync(source)).digest("hex");
  } catch {
    return undefined;
  }
}
