/**
 * Progress lines for long work: on a terminal, one line rewritten in place with a bar, items/s,
 * the ETA of this piece of work and, for a piece of a longer run (an epoch of a training run),
 * the run's ETA, trimmed to the terminal's width; elsewhere (CI logs, pipes) silent until the
 * work ends, when one summary line is printed.
 *
 * @example
 * ```ts
 * const progress = new Progress("epoch 3/40", 8000, { unit: "pairs", run: { piecesAfter: 37 } });
 * progress.advance(128, "loss 0.61");
 * progress.finish();
 * ```
 * @module
 */

/** Options of {@linkcode Progress}. */
export interface ProgressOptions {
  /** Word for the items, e.g. "images" or "pairs". */
  unit?: string;
  /** Forces the live line on or off; default: on when stderr is a terminal and CI is unset. */
  live?: boolean;
  /** Prints the summary line at the end (default true). */
  summary?: boolean;
  /**
   * This work is one piece of a run with `piecesAfter` more like it (epochs): the line adds the
   * run's ETA, from `secondsPerPiece` (the mean of finished pieces) or this piece's pace.
   */
  run?: { piecesAfter: number; secondsPerPiece?: number };
  /** Terminal width to trim to (default: the terminal's, else 100). */
  columns?: number;
}

/** Reports progress of `total` items of work under a label. */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #unit: string;
  readonly #live: boolean;
  readonly #summary: boolean;
  readonly #run?: { piecesAfter: number; secondsPerPiece?: number };
  readonly #columns: number;
  readonly #start = performance.now();
  #done = 0;
  #lastDraw = 0;
  #extra = "";

  /** Starts reporting; `total` may be 0 when unknown. */
  constructor(label: string, total: number, options: ProgressOptions = {}) {
    this.#label = label;
    this.#total = total;
    this.#unit = options.unit ?? "items";
    this.#summary = options.summary ?? true;
    this.#live = options.live ?? (Deno.stderr.isTerminal() && !Deno.env.get("CI"));
    this.#run = options.run;
    this.#columns = options.columns ?? terminalColumns();
  }

  /** Adds `n` finished items; `extra` is shown after the rate (e.g. a running loss). */
  advance(n = 1, extra?: string): void {
    this.#done += n;
    if (extra !== undefined) this.#extra = extra;
    const now = performance.now();
    if (this.#live && (now - this.#lastDraw > 200 || this.#done === this.#total)) {
      this.#lastDraw = now;
      this.#write(`\r\x1b[2K${this.liveLine(now)}`);
    }
  }

  /** Items per second so far. */
  rate(): number {
    const seconds = (performance.now() - this.#start) / 1000;
    return seconds > 0 ? this.#done / seconds : 0;
  }

  /** Ends the line (live mode) and prints the summary. */
  finish(extra?: string): void {
    if (extra !== undefined) this.#extra = extra;
    if (this.#live) this.#write("\r\x1b[2K");
    if (this.#summary) this.#write(this.#line(performance.now(), true) + "\n");
  }

  /** The live line: label, bar, counts, rate, ETAs, trimmed to the terminal's width. */
  liveLine(now = performance.now()): string {
    const seconds = (now - this.#start) / 1000;
    const rate = seconds > 0 ? this.#done / seconds : 0;
    const parts = [`${this.#label}`];
    if (this.#total > 0) {
      const width = 20,
        filled = Math.round((width * Math.min(this.#done, this.#total)) / this.#total);
      parts[0] += ` [${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
      parts.push(`${this.#done}/${this.#total} ${this.#unit}`);
    } else parts.push(`${this.#done} ${this.#unit}`);
    parts.push(`${formatRate(rate)} ${this.#unit}/s`);
    if (this.#total > 0 && rate > 0) {
      const left = (this.#total - this.#done) / rate;
      let eta = `ETA ${formatSeconds(left)}`;
      if (this.#run && this.#run.piecesAfter > 0) {
        const perPiece = this.#run.secondsPerPiece ?? this.#total / rate;
        eta += ` (run ${formatSeconds(left + this.#run.piecesAfter * perPiece)})`;
      }
      parts.push(eta);
    }
    if (this.#extra) parts.push(this.#extra);
    const line = parts.join(", ");
    return line.length > this.#columns - 1
      ? line.slice(0, Math.max(10, this.#columns - 2)) + "…"
      : line;
  }

  #line(now: number, final = false): string {
    const seconds = (now - this.#start) / 1000;
    const rate = seconds > 0 ? this.#done / seconds : 0;
    const count = this.#total > 0 ? `${this.#done}/${this.#total}` : `${this.#done}`;
    let line = `${this.#label}: ${count} ${this.#unit}, ${formatRate(rate)} ${this.#unit}/s`;
    if (final) line += `, ${formatSeconds(seconds)}`;
    else if (this.#total > 0 && rate > 0) {
      line += `, ETA ${formatSeconds((this.#total - this.#done) / rate)}`;
    }
    return this.#extra ? `${line}, ${this.#extra}` : line;
  }

  #write(text: string): void {
    Deno.stderr.writeSync(new TextEncoder().encode(text));
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 100;
  } catch {
    return 100; // not a terminal
  }
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

/** Formats seconds as "42s", "3m05s" or "1h02m". */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** What a step of long work reports to: a {@linkcode Progress}, or nothing. */
export interface ProgressSink {
  advance(n?: number, extra?: string): void;
  finish(extra?: string): void;
}

/**
 * Makes the progress of one step of a longer piece of work (a fit's encoder, its describing,
 * a test's scoring), so that library code reports steps without choosing how they are shown.
 *
 * @example
 * ```ts
 * const step = progressBars("describing faces", 8732, "faces");
 * step.advance(64);
 * step.finish();
 * ```
 */
export type ProgressFactory = (label: string, total: number, unit: string) => ProgressSink;

/** Shows each step as a {@linkcode Progress} (a live bar on a terminal, one line in logs). */
export const progressBars: ProgressFactory = (label, total, unit) =>
  new Progress(label, total, { unit });

/** Reports nothing (tests, workers, callers that show their own progress). */
export const noProgress: ProgressFactory = () => ({ advance() {}, finish() {} });
