/**
 * `compare --pairs LIST`: reading a list of image pairs (optionally labelled), scoring every
 * pair it can, and writing the results as TSV or JSON with the same field names (with each
 * photo's detector score and the region read). A bad line, an unreadable image or a photo
 * without a face is an error of that pair (with its line number), not of the batch.
 *
 * List format: one pair per line, tab-separated: `A<TAB>B[<TAB>LABEL]`, paths relative to the
 * list's folder; LABEL is `1`/`same`/`true` or `0`/`different`/`false`; empty lines and lines
 * starting with `#` are skipped.
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { classificationMetrics } from "../evaluate/classification_metrics.ts";
import { rocAuc, rocCurve } from "../evaluate/roc_curve.ts";

/** One line of a pair list: a pair, or why the line is not one. */
export interface PairLine {
  /** 1-based line number in the list. */
  line: number;
  a?: string;
  b?: string;
  /** 1 same person, 0 different, when the list gives it. */
  label?: 0 | 1;
  error?: string;
}

const LABELS: Record<string, 0 | 1> = {
  "1": 1,
  same: 1,
  true: 1,
  "0": 0,
  different: 0,
  false: 0,
};

/** Parses a pair list's text (`path` resolves relative image paths and names errors). */
export function parsePairList(text: string, path: string): PairLine[] {
  const base = dirname(path);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const out: PairLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim() || raw.startsWith("#")) return;
    const fields = raw.split("\t").map((f) => f.trim());
    if ((fields.length !== 2 && fields.length !== 3) || !fields[0] || !fields[1]) {
      out.push({
        line,
        error:
          `${path}:${line}: expected two tab-separated image paths and an optional label, found "${
            raw.slice(0, 120)
          }"`,
      });
      return;
    }
    const entry: PairLine = { line, a: resolve(fields[0]), b: resolve(fields[1]) };
    if (fields.length === 3) {
      const label = LABELS[fields[2].toLowerCase()];
      if (label === undefined) {
        out.push({
          line,
          error: `${path}:${line}: label "${fields[2]}" is not 1/same/true or 0/different/false`,
        });
        return;
      }
      entry.label = label;
    }
    out.push(entry);
  });
  return out;
}

/** One scored (or failed) pair, as written out. */
export interface PairResult {
  line: number;
  a: string;
  b: string;
  label: 0 | 1 | null;
  probability: number | null;
  same_person: boolean | null;
  /** Detector scores of the faces used (null without detection or when unread). */
  a_score: number | null;
  b_score: number | null;
  /**
   * The regions read, as `x,y,width,height,rotation`: the crop's centre and size in the photo's
   * pixels and its rotation in degrees (null when unread).
   */
  a_region: string | null;
  b_region: string | null;
  /** Warnings about the pair's images (several faces, a small face), "; "-separated. */
  warnings: string | null;
  error: string | null;
}

/** The columns of the TSV output, in order: {@linkcode PairResult}'s fields. */
export const RESULT_COLUMNS = [
  "line",
  "a",
  "b",
  "label",
  "probability",
  "same_person",
  "a_score",
  "a_region",
  "b_score",
  "b_region",
  "warnings",
  "error",
] as const;

/** Accuracy, AUC and confusion counts of the labelled pairs that were scored. */
export interface LabelledSummary {
  pairs: number;
  threshold: number;
  accuracy: number;
  auc: number | null;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** The summary of `results`' labelled, scored pairs at `threshold`, or undefined if none. */
export function summarizeLabelled(
  results: readonly PairResult[],
  threshold: number,
): LabelledSummary | undefined {
  const scored = results.filter((r) => r.label !== null && r.probability !== null);
  if (scored.length === 0) return undefined;
  const scores = scored.map((r) => r.probability!), labels = scored.map((r) => r.label!);
  const m = classificationMetrics(scores, labels, { threshold });
  const both = new Set(labels).size === 2;
  return {
    pairs: scored.length,
    threshold,
    accuracy: m.accuracy,
    auc: both ? rocAuc(rocCurve(scores, labels)) : null,
    tp: m.tp,
    fp: m.fp,
    tn: m.tn,
    fn: m.fn,
  };
}

/** What a results file says about how it was decided. */
export interface ResultsHeader {
  experiment: string;
  threshold: number;
  threshold_source: string;
  /** How the faces were found: the detector and the alignment, or the fixed box. */
  faces: string;
  /** What the probability is: calibrated (on how many validation pairs), or the raw score. */
  probability: string;
}

/** The results as TSV (a `#` line with the header's facts, then named columns) or JSON. */
export function formatResults(
  format: "tsv" | "json",
  header: ResultsHeader,
  results: readonly PairResult[],
  summary?: LabelledSummary,
): string {
  if (format === "json") {
    return JSON.stringify({ ...header, results, summary: summary ?? null }, null, 2) + "\n";
  }
  const columns = RESULT_COLUMNS;
  const cell = (r: PairResult, c: typeof columns[number]) => {
    const v = r[c];
    if (v === null || v === undefined) return "";
    if (c === "probability") return (v as number).toFixed(6);
    if (c === "a_score" || c === "b_score") return (v as number).toFixed(4);
    return String(v).replace(/[\t\n]/g, " ");
  };
  return [
    `# experiment ${header.experiment}\tthreshold ${header.threshold}\t(${header.threshold_source})\tfaces: ${header.faces}\tprobability: ${header.probability}`,
    columns.join("\t"),
    ...results.map((r) => columns.map((c) => cell(r, c)).join("\t")),
  ].join("\n") + "\n";
}

/** The summary in one line, for the terminal. */
export function describeSummary(s: LabelledSummary): string {
  return `${s.pairs} labelled pairs: accuracy ${(100 * s.accuracy).toFixed(2)}% at threshold ${
    s.threshold.toFixed(4)
  }, AUC ${
    s.auc === null ? "n/a (one class only)" : s.auc.toFixed(4)
  }; TP ${s.tp}, FP ${s.fp}, TN ${s.tn}, FN ${s.fn}`;
}
