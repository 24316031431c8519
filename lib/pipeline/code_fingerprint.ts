/**
 * The code that makes an artifact, as part of its key (DVC's code dependencies): the stage's
 * entry modules and every module of this project they import, statically, dynamically or as a
 * worker (`new URL("./x.ts", import.meta.url)`), found by reading the sources (type-only
 * imports load no code and are not followed; of `deno.json` only the pinned packages count). A change to any
 * of them gives new keys, so a stale artifact is never reused; no version number to bump by hand.
 *
 * @example
 * ```ts
 * const { hash, files } = await codeFingerprint([new URL("../train/trainer.ts", import.meta.url)]);
 * ```
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { canonicalJson } from "../util/hash.ts";

/** A stage's code: one hash and the hash of each file (paths relative to the project root). */
export interface CodeFingerprint {
  hash: string;
  files: Record<string, string>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const IMPORT_PATTERNS = [
  // `import type` / `export type` load no code, so they are not followed.
  /\b(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g,
  /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g,
  /\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
  /\bnew URL\(\s*["'](\.{1,2}\/[^"']+\.(?:ts|js|c))["']\s*,\s*import\.meta\.url\s*\)/g,
];

const cache = new Map<string, Promise<CodeFingerprint>>();

/** The fingerprint of `entries` and everything of this project they load (cached per process). */
export function codeFingerprint(entries: readonly URL[]): Promise<CodeFingerprint> {
  const id = entries.map((u) => u.href).sort().join("\n");
  let found = cache.get(id);
  if (!found) {
    try {
      found = Promise.resolve(readCodeFingerprint(entries));
    } catch (error) {
      found = Promise.reject(error);
    }
    cache.set(id, found);
  }
  return found;
}

/**
 * {@linkcode codeFingerprint} read from disk now, not cached, and synchronously (so that a
 * worker's code can be checked where the worker is made, see `worker_code.ts`);
 * `ignoreComments` hashes the modules without their comments, indentation and blank lines (not for
 * artifact keys: those record the files as they are).
 */
export function readCodeFingerprint(
  entries: readonly URL[],
  options: { ignoreComments?: boolean } = {},
): CodeFingerprint {
  const seen = new Map<string, string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const url = queue.pop()!;
    if (seen.has(url.href)) continue;
    const text = Deno.readTextFileSync(url);
    const script = url.pathname.endsWith(".ts") || url.pathname.endsWith(".js");
    // Comments may show imports in examples; only code counts.
    const code = script ? text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "") : text;
    // Of a JSON import (deno.json) only the pinned packages are code; its tasks are not.
    seen.set(
      url.href,
      sha256HexSync(
        url.pathname.endsWith(".json")
          ? canonicalJson(JSON.parse(text).imports ?? {})
          : options.ignoreComments && script
          ? code.split("\n").map((line) => line.trim()).filter((line) => line !== "").join("\n")
          : text,
      ),
    );
    if (!script) continue;
    for (const pattern of IMPORT_PATTERNS) {
      for (const match of code.matchAll(pattern)) queue.push(new URL(match[1], url));
    }
  }
  const files: Record<string, string> = {};
  for (const href of [...seen.keys()].sort()) {
    files[relative(ROOT, fileURLToPath(href))] = seen.get(href)!;
  }
  return {
    hash: sha256HexSync(Object.entries(files).map(([f, h]) => `${h}  ${f}`).join("\n")),
    files,
  };
}

/** The SHA-256 of a text's UTF-8 bytes, in hex (as `sha256Hex`, synchronously). */
function sha256HexSync(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The git commit of the project and whether its tree differs from it (undefined outside git). */
export async function gitState(): Promise<{ commit: string; dirty: boolean } | undefined> {
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command("git", { args, cwd: ROOT, stderr: "null" }).output();
      if (!out.success) throw new Error("git failed");
      return new TextDecoder().decode(out.stdout).trim();
    };
    const commit = await run(["rev-parse", "HEAD"]);
    const dirty = (await run(["status", "--porcelain", "--untracked-files=no"])) !== "";
    return { commit, dirty };
  } catch {
    return undefined;
  }
}
