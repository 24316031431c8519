/**
 * Published LFW View 2 ROC curves (from the official results page): an index of methods and
 * their mean accuracies, and the curve files, parsed tolerantly (header lines, comments, extra
 * columns, NaN rows, either sort order).
 * @module
 */
import { join } from "node:path";
import { UserError } from "../util/errors.ts";

/** One published result. */
export interface PublishedRoc {
  method: string;
  category: string;
  meanAccuracy: number;
  standardError: number;
  /** [fpr, tpr] points by increasing fpr (empty when the result has no curve file). */
  points: [number, number][];
}

/**
 * Parses a curve file: lines of numbers whose first two columns are the true-positive and the
 * false-positive rate (the official page plots them "using 2:1"). Other lines are skipped.
 * Returns at most `maxPoints` points, evenly thinned, sorted by fpr then tpr.
 */
export function parseRocFile(text: string, maxPoints = 400): [number, number][] {
  const points: [number, number][] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/[\s,]+/);
    if (fields.length < 2) continue;
    const tpr = Number(fields[0]), fpr = Number(fields[1]);
    if (!Number.isFinite(tpr) || !Number.isFinite(fpr) || fields[0] === "") continue;
    if (tpr < 0 || tpr > 1 || fpr < 0 || fpr > 1) continue;
    points.push([fpr, tpr]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (points.length <= maxPoints) return points;
  const step = (points.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, i) => points[Math.round(i * step)]);
}

/** Reads `index.tsv` and every curve it names from `dir`. */
export async function loadPublishedRocs(dir: string): Promise<PublishedRoc[]> {
  let index: string;
  try {
    index = await Deno.readTextFile(join(dir, "index.tsv"));
  } catch {
    throw new UserError(`published ROC folder has no readable index.tsv: ${dir}`);
  }
  const out: PublishedRoc[] = [];
  for (const line of index.split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const [method, category, mean, se, file] = line.split("\t");
    let points: [number, number][] = [];
    if (file?.trim()) {
      try {
        points = parseRocFile(await Deno.readTextFile(join(dir, file.trim())));
      } catch {
        throw new UserError(
          `published ROC file listed in index.tsv cannot be read: ${join(dir, file.trim())}`,
        );
      }
    }
    out.push({ method, category, meanAccuracy: Number(mean), standardError: Number(se), points });
  }
  return out;
}
