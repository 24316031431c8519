/**
 * Outputs the user places (`report --out`, `export OUT_DIR`, the report's comparison pages)
 * replace only what the toolkit wrote there: an earlier report, an earlier export. Any other file
 * under one of their names (a photo called report.html, someone's weights.bin) is refused, with
 * or without `--force`, so that nothing the user made is overwritten.
 * @module
 */
import { join } from "node:path";
import { UserError } from "../util/errors.ts";

/** The mark in the head of every report page (older ones say `by <code>deno task report</code>`). */
export const REPORT_GENERATOR = "face-comparer report";

/**
 * The files `export` writes into its folder (`EXPORT_FILES` of `export_experiment.ts` and its
 * model card; listed here so that the report page does not load the export's code; a test checks
 * that the lists agree).
 */
export const EXPORTED_FILES = [
  "model.json",
  "weights.bin",
  "preprocessing.json",
  "face_comparer.js",
  "compare.html",
  "model_card.md",
] as const;

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The first `bytes` bytes of a file, as text. */
async function head(path: string, bytes: number): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(bytes);
  let filled = 0;
  while (filled < bytes) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return new TextDecoder().decode(buffer.subarray(0, filled));
}

/**
 * Checks that the report may be written to `path`: nothing is there, or a report page this
 * toolkit wrote. `what` names the option in the error.
 */
export async function assertReportReplaceable(path: string, what = "--out"): Promise<void> {
  const info = await statOrUndefined(path);
  if (!info) return;
  if (!info.isFile) throw new UserError(`${what}: ${path} is a folder; give a file name`);
  // The mark is in the head; an older report's line follows the inlined style sheet.
  const text = await head(path, 1 << 20);
  if (
    text.includes(`<meta name="generator" content="${REPORT_GENERATOR}">`) ||
    /^<!DOCTYPE html>[\s\S]*by <code>deno task report<\/code>/.test(text)
  ) return;
  throw new UserError(
    `${what}: ${path} exists and is not a report this toolkit wrote; give another file name or move it away`,
  );
}

/** The first line of `compare`'s TSV results, and the head of its JSON results. */
const COMPARE_RESULT_HEADS = [/^# experiment \S+\tthreshold /, /^\{\s*"experiment":\s*"/];

/**
 * Checks that `compare --out` may write its results to `path`: nothing is there, or results an
 * earlier `compare` wrote (TSV or JSON). Anything else (a pair list, a photo, notes) is refused.
 */
export async function assertCompareResultsReplaceable(path: string, what = "--out"): Promise<void> {
  const info = await statOrUndefined(path);
  if (!info) return;
  if (!info.isFile) throw new UserError(`${what}: ${path} is a folder; give a file name`);
  const text = await head(path, 4096);
  if (COMPARE_RESULT_HEADS.some((pattern) => pattern.test(text))) return;
  throw new UserError(
    `${what}: ${path} exists and is not a results file compare wrote; give another file name or move it away`,
  );
}

/** Whether `dir` holds an export this toolkit wrote (its model.json and preprocessing.json). */
async function holdsExport(dir: string): Promise<boolean> {
  try {
    const pre = JSON.parse(await Deno.readTextFile(join(dir, "preprocessing.json")));
    const model = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
    return typeof pre?.experiment === "string" && typeof pre?.model === "string" &&
      typeof model?.modelTopology === "object" && Array.isArray(model?.weightsManifest);
  } catch {
    return false;
  }
}

/**
 * Checks that an export may be written into `dir`: none of {@linkcode EXPORTED_FILES} is there, or
 * they belong to an earlier export and `replace` allows replacing it. Files of those names that
 * no export wrote are refused whatever `replace` says. `what` names the folder in errors.
 */
export async function assertExportFolder(
  dir: string,
  options: { replace: boolean; what: string; replaceHint?: string },
): Promise<void> {
  const info = await statOrUndefined(dir);
  if (!info) return;
  if (!info.isDirectory) throw new UserError(`${options.what} is a file, not a folder: ${dir}`);
  const present: string[] = [];
  for (const file of EXPORTED_FILES) {
    if (await statOrUndefined(join(dir, file))) present.push(file);
  }
  if (present.length === 0) return;
  if (!await holdsExport(dir)) {
    throw new UserError(
      `${options.what} ${dir} holds ${
        present.join(", ")
      }, which no export wrote; choose another folder or move ${
        present.length === 1 ? "it" : "them"
      } away`,
    );
  }
  if (!options.replace) {
    throw new UserError(
      `${options.what} ${dir} already holds an exported model (model.json)${
        options.replaceHint ? `; ${options.replaceHint}` : ""
      }`,
    );
  }
}
