/**
 * Progress lines for long work: on a terminal, one line rewritten in place with items/s and
 * ETA; elsewhere (CI logs, pipes) silent until the work ends, when one summary line is printed.
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
}

/** Reports progress of `total` items of work under a label. */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #unit: string;
  readonly #live: boolean;
  readonly #summary: boolean;
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
  }

  /** Adds `n` finished items; `extra` is shown after the rate (e.g. a running loss). */
  advance(n = 1, extra?: string): void {
    this.#done += n;
    if (extra !== undefined) this.#extra = extra;
    const now = performance.now();
    if (this.#live && (now - this.#lastDraw > 200 || this.#done === this.#total)) {
      this.#lastDraw = now;
      this.#write(`\r\x1b[2K${this.#line(now)}`);
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
