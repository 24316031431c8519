/**
 * The experiment record of one `train` run: written when the run starts training (or finds its
 * model cached), marked complete when it finishes, wherever the record is by then. The run it
 * replaces keeps a record under another name, so `--force` never loses a trained model. Part of
 * the pipeline's machinery (`stages.ts`): it records runs, never computes what one holds.
 *
 * @example
 * ```ts
 * const recorder = new RunRecorder(index, options, record, { existing, replacing, log });
 * await recorder.write("training");
 * // ... train ...
 * const finished = await recorder.finish();
 * ```
 * @module
 */
import { UserError } from "../util/errors.ts";
import { differences } from "./existing_run.ts";
import type { ExperimentIndex, ExperimentRecord } from "./experiments.ts";
import type { TrainOptions } from "./train_stage.ts";

/** Writes and completes the record of one training run. */
export class RunRecorder {
  readonly #index: ExperimentIndex;
  readonly #options: TrainOptions;
  readonly #record: ExperimentRecord;
  readonly #existing?: ExperimentRecord;
  readonly #replacing: boolean;
  readonly #log: (line: string) => void;
  #written = false;

  /**
   * `record` is this run's record as it starts; `existing` the experiment's record when the run
   * began (undefined: none), which this run replaces when `replacing`.
   */
  constructor(
    index: ExperimentIndex,
    options: TrainOptions,
    record: ExperimentRecord,
    context: { existing?: ExperimentRecord; replacing: boolean; log: (line: string) => void },
  ) {
    this.#index = index;
    this.#options = options;
    this.#record = record;
    this.#existing = context.existing;
    this.#replacing = context.replacing;
    this.#log = context.log;
  }

  /** This run's record as it started. */
  get record(): ExperimentRecord {
    return this.#record;
  }

  /** Whether this run has written its record. */
  get written(): boolean {
    return this.#written;
  }

  /**
   * Writes this run's record with `status` from the newest one (never from the copy taken at the
   * start): the run it replaces keeps a record under another name (`deno task experiments mv`
   * brings the name back), and what other commands wrote meanwhile for this very run (a test)
   * is kept.
   */
  async write(status: ExperimentRecord["status"]): Promise<void> {
    const options = this.#options, record = this.#record, key = record.keys.train;
    await options.recording?.();
    await this.#index.update(options.name, async (current) => {
      if (current?.kind === "ten-fold") {
        throw new UserError(`"${options.name}" became a ten-fold experiment meanwhile`);
      }
      const same = current?.keys.train === key;
      if (
        current && !same && current.keys.train !== this.#existing?.keys.train && !options.force
      ) {
        throw new UserError(
          `experiment "${options.name}" was changed by another command while this one started (it names train ${
            current.keys.train.slice(0, 12)
          } now); rerun the command to see what it would do now`,
        );
      }
      if (current && !same && (this.#replacing || options.force)) {
        const kept = await keepRecord(this.#index, current);
        this.#log(
          `train: the earlier "${options.name}" (${
            differences(current.options, record.options).join(", ") || "other inputs"
          }) is kept as "${kept}"; \`deno task experiments mv ${kept} ${options.name}\` restores it`,
        );
      }
      if (same && status === "complete" && current.status === "complete") return undefined;
      return {
        ...record,
        status,
        createdAt: same ? current.createdAt : record.createdAt,
        keys: { ...record.keys, ...(same && current.keys.test ? { test: current.keys.test } : {}) },
      };
    }, { replaceDamaged: options.force });
    this.#written = true;
  }

  /**
   * Marks the finished run complete in the newest record that names it, wherever it is now:
   * renamed, kept under another name by a later --force, or forgotten (`experiments rm`) while
   * it trained; returns this run's record, complete.
   */
  async finish(): Promise<ExperimentRecord> {
    const name = this.#options.name, key = this.#record.keys.train;
    if (!this.#written) await this.write("complete"); // finished by another process meanwhile
    const updatedAt = new Date().toISOString();
    const named = await this.#index.updateRun(
      name,
      key,
      (current) => ({ ...current, status: "complete", updatedAt }),
    );
    if (!named.includes(name)) {
      const renamed = await this.#index.get(name).catch(() => undefined) === undefined;
      this.#log(
        named.length > 0
          ? `train: "${name}" ${
            renamed ? "was renamed while it trained" : "names another run now"
          }; this one is recorded as ${named.map((n) => `"${n}"`).join(", ")}`
          : `train: no experiment names this run any more (it was renamed or forgotten while it trained); its model stays in the store (${
            key.slice(0, 12)
          }) until \`deno task clean --yes\``,
      );
    }
    return { ...this.#record, status: "complete", updatedAt };
  }

  /** The newest record of the experiment if it is a single experiment, else this run's. */
  async newest(): Promise<ExperimentRecord> {
    const found = await this.#index.get(this.#options.name).catch(() => undefined);
    return found && found.kind !== "ten-fold" ? found : this.#record;
  }
}

/**
 * Writes a copy of `record` under a free name `<name>_before_<time>` (a suffix _2, _3... when
 * taken) and returns that name.
 */
async function keepRecord(index: ExperimentIndex, record: ExperimentRecord): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 13);
  for (let n = 1;; n++) {
    const suffix = n === 1 ? "" : `_${n}`;
    const kept = `${record.name}_before_${stamp}`.slice(0, 100 - suffix.length) + suffix;
    let free = false;
    await index.update(kept, (current) => {
      if (current !== undefined) return undefined;
      free = true;
      return { ...record, name: kept };
    }).catch((error) => {
      if (!(error instanceof UserError)) throw error; // a damaged record there: try another
    });
    if (free) return kept;
  }
}
