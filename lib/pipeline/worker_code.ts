/**
 * A worker module's code, checked before each worker starts. A worker reads its modules from
 * disk when it starts, while its caller runs what it read when the process started: after an
 * edit or a `git pull` during a long run, new workers would run new code beside the old (a
 * changed message format fails, a changed descriptor silently mixes two models in one fit).
 * The worker's code (its module and everything of this project it loads, as
 * `code_fingerprint.ts` finds them, without their comments, and the packages deno.json pins)
 * is read when the caller's module loads, with the rest of the process, and again before each
 * worker is made; a difference stops the run with a one-line error naming the changed files,
 * before any work of the new code is done. (Finished epochs and folds are kept: the rerun goes
 * on from them.)
 *
 * @example
 * ```ts
 * const DESCRIBE_WORKER = new WorkerCode(new URL("./describe_worker.ts", import.meta.url));
 * const worker = DESCRIBE_WORKER.start(); // a UserError if its code changed since
 * ```
 * @module
 */
import { type CodeFingerprint, readCodeFingerprint } from "./code_fingerprint.ts";
import { UserError } from "../util/errors.ts";

/** The project's deno.json: its pinned packages are code the workers load too. */
const DENO_JSON = new URL("../../deno.json", import.meta.url);

/** A worker module whose code is checked before each worker is made. */
export class WorkerCode {
  /** The worker module. */
  readonly url: URL;
  readonly #atLoad: CodeFingerprint;

  /** Reads the code of the worker module at `url` (call it when the caller's module loads). */
  constructor(url: URL) {
    this.url = url;
    this.#atLoad = this.#read();
  }

  /** The worker's code now: its modules without comments, and the pinned packages. */
  #read(): CodeFingerprint {
    return readCodeFingerprint([this.url, DENO_JSON]);
  }

  /**
   * Throws a UserError naming the files of the worker's code that changed on disk (or appeared,
   * or went) since this object was made.
   */
  assertUnchanged(): void {
    let now: CodeFingerprint;
    try {
      now = this.#read();
    } catch (error) {
      // A module gone, or deno.json half written.
      if (!(error instanceof Deno.errors.NotFound) && !(error instanceof SyntaxError)) throw error;
      throw new UserError(
        `the code changed while this run was under way (${error.message}); rerun the command`,
      );
    }
    if (now.hash === this.#atLoad.hash) return;
    const before = this.#atLoad.files;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(now.files)])]
      .filter((file) => before[file] !== now.files[file]).sort();
    const shown = changed.slice(0, 3).join(", ") +
      (changed.length > 3 ? ` and ${changed.length - 3} more` : "");
    throw new UserError(
      `the code changed while this run was under way (${shown}): a new worker would run it beside the old; rerun the command`,
    );
  }

  /** A module worker of this code, once {@linkcode WorkerCode.assertUnchanged} passes. */
  start(): Worker {
    this.assertUnchanged();
    return new Worker(this.url.href, { type: "module" });
  }
}
