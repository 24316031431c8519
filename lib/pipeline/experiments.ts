/**
 * Named experiments: `artifacts/experiments/<name>.json` maps an experiment name to the artifact
 * keys it uses, so `train NAME`, `test NAME` and `report` find their inputs.
 *
 * Every change of a record is a read-modify-write of the newest record under the experiment's
 * lock (`<name>.lock`, see {@linkcode ExperimentIndex.update}): two commands that touch one
 * experiment at once (a test during a training, `experiments mv` during a training, a second
 * training) each change what they mean to change and keep what the other wrote, never writing
 * back a copy taken when they started.
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import { validateExperimentName } from "../util/cli.ts";
import { acquireLock, type Lock } from "../util/file_lock.ts";

/** How long a record change waits for another process's change of the same record. */
const RECORD_LOCK_WAIT_MS = 30_000;

/** What the index records of an experiment. */
export interface ExperimentRecord {
  /** Absent or "single" for one trained model. */
  kind?: "single";
  name: string;
  createdAt: string;
  updatedAt: string;
  /** "training" until every epoch is done. */
  status: "training" | "complete";
  /** Artifact keys by stage. */
  keys: { prepare: string; split: string; train: string; test?: string };
  /** The options the experiment was trained with, for display and comparison. */
  options: Record<string, unknown>;
  /** The `train` command that made it, as typed (absent in older records). */
  command?: string;
}

/**
 * A ten-fold LFW View 2 experiment: ten single experiments `<name>_fold1` .. `<name>_fold10`,
 * each trained with the other nine folds' people and tested on its own fold.
 */
export interface TenFoldRecord {
  kind: "ten-fold";
  name: string;
  createdAt: string;
  updatedAt: string;
  status: "training" | "complete";
  /** Names of the ten fold experiments, fold 1 first. */
  folds: string[];
  options: Record<string, unknown>;
  /** The `train` command that made it, as typed (absent in older records). */
  command?: string;
  /** Key of the ten-fold evaluation, once `deno task test NAME` ran. */
  testKey?: string;
}

/** Any record of the index. */
export type AnyExperimentRecord = ExperimentRecord | TenFoldRecord;

/** What {@linkcode ExperimentIndex.update}'s change function returns: a record, or no change. */
export type RecordChange = (
  current: AnyExperimentRecord | undefined,
) => AnyExperimentRecord | undefined | Promise<AnyExperimentRecord | undefined>;

/** The experiment index under an artifact root. */
export class ExperimentIndex {
  readonly #dir: string;
  readonly #warn: (line: string) => void;

  /** Opens the index of the artifact store at `root` (warnings: stale locks taken over). */
  constructor(root: string, options: { warn?: (line: string) => void } = {}) {
    this.#dir = join(root, "experiments");
    this.#warn = options.warn ?? console.warn;
  }

  #path(name: string): string {
    return join(this.#dir, `${validateExperimentName(name)}.json`);
  }

  /**
   * Runs `fn` holding the record locks of `names` (taken in name order, so two callers never
   * wait for each other); a lock held longer than 30 s by a live process is a UserError.
   */
  async withLocks<T>(names: string[], fn: () => Promise<T>): Promise<T> {
    const locks: Lock[] = [];
    try {
      for (const name of [...new Set(names)].sort()) {
        const path = join(this.#dir, `${validateExperimentName(name)}.lock`);
        locks.push(
          await acquireLock(path, {
            busy: (holder) =>
              `the record of experiment "${name}" is being changed by process ${holder.pid} (since ${holder.since}); try again when it is done (lock ${path})`,
            warn: this.#warn,
            waitMs: RECORD_LOCK_WAIT_MS,
          }),
        );
      }
      return await fn();
    } finally {
      for (const lock of locks.reverse()) await lock.release();
    }
  }

  /**
   * Changes the record of `name` under its lock: `change` gets the newest record (undefined when
   * there is none, or with `replaceDamaged` when it is damaged) and returns the record to write,
   * or undefined to leave it as it is. Returns the record as it is afterwards.
   */
  update(
    name: string,
    change: RecordChange,
    options: { replaceDamaged?: boolean } = {},
  ): Promise<AnyExperimentRecord | undefined> {
    return this.withLocks([name], async () => {
      const current = await this.get(name).catch((error) => {
        if (options.replaceDamaged && error instanceof UserError) return undefined;
        throw error;
      });
      const next = await change(current);
      if (next === undefined) return current;
      if (next.name !== name) throw new Error(`update(${name}): the record is named ${next.name}`);
      await writeJsonAtomic(this.#path(name), next);
      return next;
    });
  }

  /**
   * Changes the record of the single run whose train artifact key is `trainKey`: `name`'s record
   * while it still names that run, otherwise every record that does (the run was renamed, or a
   * later `train --force` kept it under another name). `change` gets each newest record.
   * Returns the names of the records it was given (none when no record names the run any more:
   * it was forgotten). Damaged records of other experiments are passed over.
   */
  async updateRun(
    name: string,
    trainKey: string,
    change: (current: ExperimentRecord) => ExperimentRecord | undefined,
  ): Promise<string[]> {
    const found: string[] = [];
    const ofRun: RecordChange = (current) => {
      if (current === undefined || current.kind === "ten-fold") return undefined;
      if (current.keys.train !== trainKey) return undefined;
      found.push(current.name);
      return change(current);
    };
    await this.update(name, ofRun, { replaceDamaged: true }).catch((error) => {
      if (!(error instanceof UserError)) throw error;
    });
    if (found.length > 0) return found;
    for (const other of await this.names()) {
      if (other === name) continue;
      try {
        await this.update(other, ofRun);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
      }
    }
    return found;
  }

  /**
   * The record of `name`, or undefined. A truncated or malformed record is a UserError naming
   * the file (other experiments stay readable).
   */
  async get(name: string): Promise<AnyExperimentRecord | undefined> {
    const path = this.#path(name);
    let record: AnyExperimentRecord | undefined;
    try {
      record = await readJsonIfExists<AnyExperimentRecord>(path);
    } catch (error) {
      throw new UserError(
        `experiment record ${path} is damaged (${
          (error as Error).message
        }); move it away, or retrain with \`deno task train ${name} --force\``,
      );
    }
    if (record === undefined) return undefined;
    const valid = typeof record === "object" && record !== null && record.name === name &&
      (record.kind === "ten-fold"
        ? Array.isArray(record.folds)
        : typeof (record as ExperimentRecord).keys?.train === "string" &&
          typeof (record as ExperimentRecord).keys?.split === "string" &&
          typeof (record as ExperimentRecord).keys?.prepare === "string");
    if (!valid) {
      throw new UserError(
        `experiment record ${path} is not a valid record (fields missing); move it away, or retrain with \`deno task train ${name} --force\``,
      );
    }
    return record;
  }

  /** The record of `name`, or a UserError listing the known experiments. */
  async require(name: string): Promise<AnyExperimentRecord> {
    const record = await this.get(name);
    if (!record) {
      const known = await this.names();
      throw new UserError(
        `unknown experiment "${name}"` +
          (known.length ? ` (known: ${known.join(", ")})` : " (none trained yet)"),
      );
    }
    return record;
  }

  /** The record of a single (not ten-fold) experiment, or a UserError. */
  async requireSingle(name: string): Promise<ExperimentRecord> {
    const record = await this.require(name);
    if (record.kind === "ten-fold") {
      throw new UserError(
        `"${name}" is a ten-fold experiment; name one of its folds (${record.folds[0]}, ...)`,
      );
    }
    return record;
  }

  /** Writes a record atomically (under its lock), replacing whatever is there. */
  async put(record: AnyExperimentRecord): Promise<void> {
    await this.update(record.name, () => record, { replaceDamaged: true });
  }

  /**
   * Renames experiment `from` to `to` (a single experiment's record; ten-fold runs name their
   * folds, so they are refused), under both names' locks. `to` must be free.
   */
  async rename(from: string, to: string): Promise<void> {
    await this.withLocks([from, to], async () => {
      const record = await this.require(from);
      if (record.kind === "ten-fold") {
        throw new UserError(`"${from}" is a ten-fold experiment: its folds are named after it`);
      }
      if (await this.get(to).catch(() => true)) {
        throw new UserError(`experiment "${to}" exists: remove it first or choose another name`);
      }
      await writeJsonAtomic(this.#path(to), {
        ...record,
        name: to,
        updatedAt: new Date().toISOString(),
      });
      await Deno.remove(this.#path(from));
    });
  }

  /**
   * Removes the record of `name` under its lock (its artifacts stay in the store) and returns
   * it; an unknown name is a UserError.
   */
  remove(name: string): Promise<AnyExperimentRecord> {
    return this.withLocks([name], async () => {
      const record = await this.require(name);
      await Deno.remove(this.#path(name));
      return record;
    });
  }

  /** Names of all experiments, sorted. */
  async names(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(this.#dir)) {
        if (e.isFile && e.name.endsWith(".json")) names.push(e.name.slice(0, -5));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return names.sort();
  }
}
