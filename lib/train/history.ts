/**
 * The per-epoch training history, written as JSON and CSV after every epoch.
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";

/** One epoch's figures. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  /**
   * Area under the validation ROC: it shows learning even while the accuracy at 0.5 is stuck
   * (early on, batch-norm statistics shift the scores to one side of 0.5). Absent in histories
   * written before it was recorded.
   */
  valAuc?: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Training throughput of the epoch. */
  pairsPerSecond: number;
}

const COLUMNS: (keyof EpochRecord)[] = [
  "epoch",
  "trainLoss",
  "trainAccuracy",
  "valLoss",
  "valAccuracy",
  "valAuc",
  "seconds",
  "pairsPerSecond",
];

/** Formats the history as CSV with a header line. */
export function historyCsv(history: readonly EpochRecord[]): string {
  const rows = history.map((r) =>
    COLUMNS.map((
      c,
    ) => (c === "epoch" ? String(r[c]) : r[c] === undefined ? "" : r[c]!.toPrecision(6)))
      .join(",")
  );
  return [COLUMNS.join(","), ...rows].join("\n") + "\n";
}

/** Writes `history.json` and `history.csv` into `dir`. */
export async function writeHistory(dir: string, history: readonly EpochRecord[]): Promise<void> {
  await writeJsonAtomic(join(dir, "history.json"), history);
  await writeFileAtomic(join(dir, "history.csv"), new TextEncoder().encode(historyCsv(history)));
}

/** Reads `history.json` of run folder `dir`: undefined when it is missing or unreadable. */
export async function readHistory(dir: string): Promise<EpochRecord[] | undefined> {
  return await readJsonIfExists<EpochRecord[]>(join(dir, "history.json")).catch(() => undefined);
}
