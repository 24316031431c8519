/**
 * The code that makes an artifact, as part of its key (DVC's code dependencies): entry modules
 * and every module of this project they import, statically, dynamically or as a worker
 * (`new URL("./x.ts", import.meta.url)`), found by reading the sources (type-only imports, and
 * imports of types only, load no code and are not followed; of `deno.json` only the pinned
 * packages count). Each file is hashed as the code it is, without comments, blank lines or
 * formatting (`normalize_source.ts`): a comment edit changes no key. A change to the code gives
 * new keys, so a stale artifact is never reused; no version number to bump by hand.
 *
 * A stage's code is made of parts (see `stageCode` in `stages.ts`): each part's entries are
 * followed except into its boundaries, modules whose own imports would bring in more than the
 * run uses. The model registry is one: it loads every model, while a run uses one model, whose
 * definition is a part of its own.
 *
 * @example
 * ```ts
 * const { hash, files } = await codeFingerprint([new URL("../train/trainer.ts", import.meta.url)]);
 * const part = { entries: [new URL("./train_stage.ts", import.meta.url)], boundaries: [registry] };
 * const stageOnly = readCodeFingerprint([part]);
 * ```
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { canonicalJson } from "../util/hash.ts";
import { normalizeSource } from "./normalize_source.ts";

/** A stage's code: one hash and the hash of each file (paths relative to the project root). */
export interface CodeFingerprint {
  hash: string;
  files: Record<string, string>;
}

/** Entry modules whose imports are followed, except into `boundaries`. */
export interface CodePart {
  /** Read and followed, boundary or not. */
  entries: readonly URL[];
  /** Modules that are neither read nor followed when an import reaches them. */
  boundaries?: readonly URL[];
}

/** Entry modules (followed everywhere) or parts, whose files are hashed together. */
export type CodeSource = readonly URL[] | readonly CodePart[];

/** Reads a file's text (tests give a reader that edits files without touching the disk). */
export type SourceReader = (url: URL) => string;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// Matched in normalised code: a space only between two words, double quotes.
const IMPORT_PATTERNS = [
  // `import type` / `export type` load no code, so they are not followed (nor `{ type A }`).
  /\b(?:import|export)(?!\s*type\b)\s*([^;"'`]*?)\bfrom"(\.{1,2}\/[^"]+)"/g,
  /\bimport"(\.{1,2}\/[^"]+)"/g,
  /\bimport\("(\.{1,2}\/[^"]+)"\)/g,
  /\bnew URL\("(\.{1,2}\/[^"]+\.(?:ts|js|c))",import\.meta\.url\)/g,
];

const cache = new Map<string, Promise<CodeFingerprint>>();

/** The parts of `code`. */
export function codeParts(code: CodeSource): readonly CodePart[] {
  return code.length > 0 && code[0] instanceof URL
    ? [{ entries: code as readonly URL[] }]
    : code as readonly CodePart[];
}

/**
 * The fingerprint of `code`: its entries and everything of this project they load (cached per
 * process: a program's keys do not change under it while it runs).
 */
export function codeFingerprint(code: CodeSource): Promise<CodeFingerprint> {
  const id = canonicalJson(
    codeParts(code).map((p) => ({
      entries: p.entries.map((u) => u.href).sort(),
      boundaries: (p.boundaries ?? []).map((u) => u.href).sort(),
    })).sort((a, b) => canonicalJson(a) < canonicalJson(b) ? -1 : 1),
  );
  let found = cache.get(id);
  if (!found) {
    try {
      found = Promise.resolve(readCodeFingerprint(code));
    } catch (error) {
      found = Promise.reject(error);
    }
    cache.set(id, found);
  }
  return found;
}

/**
 * {@linkcode codeFingerprint} read now, not cached, and synchronously (so that a worker's code
 * can be checked where the worker is made, see `worker_code.ts`); `read` reads each file
 * (default: from disk).
 */
export function readCodeFingerprint(
  code: CodeSource,
  options: { read?: SourceReader } = {},
): CodeFingerprint {
  const read = options.read ?? ((url: URL) => Deno.readTextFileSync(url));
  const modules = new Map<string, { hash: string; imports: URL[] }>();
  for (const part of codeParts(code)) {
    const boundaries = new Set((part.boundaries ?? []).map((u) => u.href));
    const followed = new Set<string>();
    const queue = [...part.entries];
    const entries = new Set(part.entries.map((u) => u.href));
    while (queue.length > 0) {
      const url = queue.pop()!;
      if (followed.has(url.href) || (boundaries.has(url.href) && !entries.has(url.href))) continue;
      followed.add(url.href);
      let module = modules.get(url.href);
      if (!module) modules.set(url.href, module = readModule(url, read(url)));
      queue.push(...module.imports);
    }
  }
  const files: Record<string, string> = {};
  for (const href of [...modules.keys()].sort()) {
    files[relative(ROOT, fileURLToPath(href))] = modules.get(href)!.hash;
  }
  return {
    hash: sha256HexSync(Object.entries(files).map(([f, h]) => `${h}  ${f}`).join("\n")),
    files,
  };
}

/** A file's hash (of its normalised code) and the project modules it loads. */
function readModule(url: URL, text: string): { hash: string; imports: URL[] } {
  const path = url.pathname;
  // Of a JSON import (deno.json) only the pinned packages are code; its tasks are not.
  if (path.endsWith(".json")) {
    return { hash: sha256HexSync(canonicalJson(JSON.parse(text).imports ?? {})), imports: [] };
  }
  const script = path.endsWith(".ts") || path.endsWith(".js");
  const code = normalizeSource(text, script ? "script" : "c");
  const imports: URL[] = [];
  if (script) {
    for (const pattern of IMPORT_PATTERNS) {
      for (const match of code.matchAll(pattern)) {
        const [clause, target] = match.length === 3 ? [match[1], match[2]] : ["", match[1]];
        if (!typesOnly(clause)) imports.push(new URL(target, url));
      }
    }
  }
  return { hash: sha256HexSync(code), imports };
}

/** Whether an import clause names types only (`{type A,type B}`): it loads nothing. */
function typesOnly(clause: string): boolean {
  const named = /^\{(.*)\}$/.exec(clause.trim());
  if (!named) return false;
  const names = named[1].split(",").filter((n) => n.trim() !== "");
  return names.length > 0 && names.every((n) => /^type\s/.test(n.trim()));
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
