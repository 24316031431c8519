/**
 * What `train NAME` does when NAME already names a run of another key: use it (trained with
 * other kernels, or finished by earlier code under `--keep-finished`), extend it (more epochs
 * than it finished), replace it (`--force`, or an unfinished run of earlier code under
 * `--keep-finished`), or refuse, saying what differs and the ways on. Part of the pipeline's
 * machinery (`stages.ts`): it decides which artifact a run uses, never what one holds.
 *
 * @example
 * ```ts
 * const plan = await resolveExistingRun(store, options, existing, run);
 * if ("reuse" in plan) return plan.reuse; // nothing to train
 * plan.replacing; // true when this run's record replaces the earlier one's (kept under another name)
 * ```
 * @module
 */
import { join } from "node:path";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { TRAIN_FILES } from "../train/trainer.ts";
import { UserError } from "../util/errors.ts";
import { canonicalJson } from "../util/hash.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import type { ExperimentRecord } from "./experiments.ts";
import { sameOutputs } from "./same_outputs.ts";
import type { TrainOptions, TrainOutcome } from "./train_stage.ts";

/** The run being asked for: its key, recorded options and inputs. */
export interface RequestedRun {
  key: string;
  /** Its options as recorded ({@linkcode describeOptions}). */
  described: Record<string, unknown>;
  /** Its backend and kernels (`computeSignature`). */
  compute: string;
  prepared: Artifact;
  split: Artifact;
  log: (line: string) => void;
}

/** What to do about an earlier run of the name: use it, or train (replacing its record or not). */
export type ExistingRunPlan = { reuse: TrainOutcome } | { replacing: boolean };

/** The options that define an experiment, as stored and compared in its record. */
export function describeOptions(options: TrainOptions, compute: string): Record<string, unknown> {
  return {
    compute,
    images: options.split.prepare.images,
    prepare: options.split.prepare.params,
    split: options.split.params,
    train: options.params,
    load: options.load,
  };
}

/** A short description of what differs between two option sets. */
export function differences(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  prefix = "",
): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key], y = b[key];
    if (canonicalJson(x ?? null) === canonicalJson(y ?? null)) continue;
    if (x && y && typeof x === "object" && typeof y === "object" && !Array.isArray(x)) {
      out.push(
        ...differences(
          x as Record<string, unknown>,
          y as Record<string, unknown>,
          `${prefix}${key}.`,
        ),
      );
    } else out.push(`${prefix}${key} ${JSON.stringify(x)} -> ${JSON.stringify(y)}`);
  }
  return out;
}

/**
 * The plan for `run` when `existing` (undefined: none) names the experiment: see the module's
 * description. A UserError when the earlier run may neither be used nor replaced.
 */
export async function resolveExistingRun(
  store: ArtifactStore,
  options: TrainOptions,
  existing: ExperimentRecord | undefined,
  run: RequestedRun,
): Promise<ExistingRunPlan> {
  if (!existing || existing.keys.train === run.key) return { replacing: false };
  if (options.force) return { replacing: true };
  const diff = differences(existing.options, run.described);
  if (diff.length === 1 && diff[0].startsWith("compute ")) {
    return { reuse: await otherKernels(store, options, existing, run) };
  }
  const extension = existing.status === "complete" && diff.length === 1 &&
    /^train\.epochs (\d+) -> (\d+)$/.exec(diff[0]);
  if (extension && Number(extension[2]) > Number(extension[1])) {
    await extendFinished(store, options, existing, run, Number(extension[1]));
    return { replacing: false };
  }
  if (diff.length > 0) {
    throw new UserError(
      `experiment "${options.name}" exists with different parameters (${
        diff.join(", ")
      }); use --force to retrain it, or another name`,
    );
  }
  // Same options, another key: the code that trains (or made an input) changed since.
  if (!options.keepFinished) throw madeByOtherCode(options.name, existing);
  const kept = await keptAsItIs(store, options, existing, run);
  if (kept) return { reuse: kept };
  if (existing.status === "complete") {
    run.log(
      `train: "${options.name}" was trained by earlier code from other prepared faces or another split; trained again with this code`,
    );
  }
  return { replacing: true };
}

/**
 * A run that differs from `existing` only in its backend or kernels: the finished model is used
 * as it is; an unfinished one is refused, since it would resume with other arithmetic.
 */
async function otherKernels(
  store: ArtifactStore,
  options: TrainOptions,
  existing: ExperimentRecord,
  run: RequestedRun,
): Promise<TrainOutcome> {
  const madeWith = String(existing.options.compute);
  const artifact = existing.status === "complete"
    ? await store.load("train", existing.keys.train)
    : undefined;
  if (!artifact) {
    throw new UserError(
      `experiment "${options.name}" was started with ${madeWith}, and this run would compute with ${run.compute}: ` +
        `resuming with other kernels breaks the promise that a resumed run equals an uninterrupted one; ` +
        `resume it where it started, or use --force to train it again here`,
    );
  }
  run.log(
    `train: cached (${
      existing.keys.train.slice(0, 12)
    }), trained with ${madeWith}; this machine computes with ${run.compute}`,
  );
  return { artifact, epochsDone: options.params.epochs, record: existing, cached: true };
}

/**
 * More epochs than the finished `existing` trained (`epochs`): its checkpoint seeds this run's
 * work folder, so training continues from it (the history goes on; the new key records the
 * total), unless an unfinished run of the new total already got further. Its artifact stays.
 */
async function extendFinished(
  store: ArtifactStore,
  options: TrainOptions,
  existing: ExperimentRecord,
  run: RequestedRun,
  epochs: number,
): Promise<void> {
  const finished = await store.load("train", existing.keys.train);
  const partial = store.partialDirOf("train", run.key);
  const partialEpoch = await loadCheckpoint(join(partial, TRAIN_FILES.checkpoint))
    .then((c) => c?.epoch ?? 0, () => 0);
  if (!finished || partialEpoch >= epochs) return;
  await Deno.mkdir(partial, { recursive: true });
  for (const file of Object.values(TRAIN_FILES)) {
    await Deno.copyFile(join(finished.dir, file), join(partial, file));
  }
  run.log(
    `train: extending "${options.name}" from ${epochs} to ${options.params.epochs} epochs (from its checkpoint)`,
  );
}

/**
 * `existing`, finished by earlier code, as this run's outcome when its prepared faces and split
 * hold today's data (by content, whatever code made them: the ten-fold test checks those);
 * undefined otherwise.
 */
async function keptAsItIs(
  store: ArtifactStore,
  options: TrainOptions,
  existing: ExperimentRecord,
  run: RequestedRun,
): Promise<TrainOutcome | undefined> {
  if (
    existing.status !== "complete" ||
    !await sameOutputs(store, "prepare", existing.keys.prepare, run.prepared) ||
    !await sameOutputs(store, "split", existing.keys.split, run.split)
  ) return undefined;
  const artifact = await store.load("train", existing.keys.train);
  if (!artifact) return undefined;
  run.log(
    `train: "${options.name}" was trained by earlier code (${
      existing.keys.train.slice(0, 12)
    }); kept as it is (--force retrains it with this code)`,
  );
  return { artifact, epochsDone: options.params.epochs, record: existing, cached: true };
}

/** The refusal of a run whose options equal `existing`'s but whose key does not. */
function madeByOtherCode(name: string, existing: ExperimentRecord): UserError {
  const finished = existing.status === "complete";
  return new UserError(
    `experiment "${name}" was ${
      finished ? "trained" : "started"
    } by other code or from other input data (same options, another key: the code of the training or of an earlier stage changed since; \`deno task status ${name}\` lists what changed for finished stages); ` +
      `it stays usable as it is (test, compare, export); use --force to train it again with this code, ${
        finished
          ? "--keep-finished to keep it as it is (when its prepared faces and split still hold today's data), "
          : ""
      }or another name`,
  );
}
