/**
 * Named experiments: `artifacts/experiments/<name>.json` maps an experiment name to the artifact
 * keys it uses, so `train NAME`, `test NAME` and `report` find their inputs.
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import { validateExperimentName } from "../util/cli.ts";

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

/** The experiment index under an artifact root. */
export class ExperimentIndex {
  readonly #dir: string;

  /** Opens the index of the artifact store at `root`. */
  constructor(root: string) {
    this.#dir = join(root, "experiments");
  }

  /**
   * The record of `name`, or undefined. A truncated or malformed record is a UserError naming
   * the file (other experiments stay readable).
   */
  async get(name: string): Promise<AnyExperimentRecord | undefined> {
    const path = join(this.#dir, `${validateExperimentName(name)}.json`);
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

  /** Writes a record atomically. */
  async put(record: AnyExperimentRecord): Promise<void> {
    await writeJsonAtomic(join(this.#dir, `${validateExperimentName(record.name)}.json`), record);
  }

  /**
   * Renames experiment `from` to `to` (a single experiment's record; ten-fold runs name their
   * folds, so they are refused). `to` must be free.
   */
  async rename(from: string, to: string): Promise<void> {
    const record = await this.require(from);
    if (record.kind === "ten-fold") {
      throw new UserError(`"${from}" is a ten-fold experiment: its folds are named after it`);
    }
    if (await this.get(to).catch(() => true)) {
      throw new UserError(`experiment "${to}" exists: remove it first or choose another name`);
    }
    await this.put({ ...record, name: to, updatedAt: new Date().toISOString() });
    await this.remove(from);
  }

  /** Removes the record of `name` (its artifacts stay in the store). */
  async remove(name: string): Promise<void> {
    await Deno.remove(join(this.#dir, `${validateExperimentName(name)}.json`));
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
