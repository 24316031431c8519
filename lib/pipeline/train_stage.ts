/**
 * The `train` stage: a split (and optionally another experiment's weights) in, a trained model
 * with its history out, under an experiment name. Training checkpoints into the artifact's
 * `.partial` folder after every epoch, so a rerun after a crash, Ctrl-C or a spent time budget
 * resumes from the last completed epoch; the artifact is finalised when every epoch is done.
 * @module
 */
import { join } from "node:path";
import { type BackendChoice, type BackendInfo, selectBackend } from "../backend/select_backend.ts";
import { loadFaceArray, resizeFaceArray } from "../data/face_array.ts";
import { getModel } from "../model/registry.ts";
import { parameterCount } from "../model/siamese_model.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { pairColumns } from "../train/pair_batches.ts";
import { runTraining, TRAIN_FILES, type TrainParams } from "../train/trainer.ts";
import { UserError } from "../util/errors.ts";
import { type Artifact, type ArtifactStore, stageKey, type StageSpec } from "./artifact_store.ts";
import { ExperimentIndex, type ExperimentRecord } from "./experiments.ts";
import { ensureSplit, type SplitOptions } from "./split_stage.ts";
import { loadPairSets, loadSplitPeople, loadTrainImages } from "./split_files.ts";
import { identityPairs } from "../data/identity_pairs.ts";
import { learnsIdentities } from "../train/objective.ts";
import { fitDescriptorPipeline } from "../train/fit_lda.ts";
import { fitEnsemble } from "../train/fit_ensemble.ts";
import { loadMembers, membersData } from "./ensemble_members.ts";
import { sameOutputs } from "./same_outputs.ts";
import { canonicalJson } from "../util/hash.ts";
import { stage, stageCode } from "./stages.ts";
import { defaultTrainingThreads } from "../config/defaults.ts";

/** The code of the stage, as declared; a run's is `stageCode("train", [model])`. */
export const TRAIN_CODE = stage("train").code;

/** Options of {@linkcode trainExperiment}. */
export interface TrainOptions {
  /** Experiment name. */
  name: string;
  split: SplitOptions;
  params: TrainParams;
  backend: BackendChoice;
  /** Stop after the epoch that would end past this budget; rerun to continue. */
  timeBudgetSeconds?: number;
  /** Start from this experiment's trained weights. */
  load?: string;
  /** Retrain from scratch, replacing the experiment's record. */
  force?: boolean;
  /**
   * When NAME exists with these very options but was made by other training code: a finished run
   * (from today's prepared faces and split) is used as it is, and any other is started again with
   * this code (its record kept under
   * another name, its checkpoint left in the store). How a ten-fold run goes on across code
   * changes: each fold is a model of its own, and a finished one is never retrained unasked.
   */
  keepFinished?: boolean;
  /** Live progress line (default: automatic). */
  progress?: boolean;
  /** Training threads (wasm backend: 1 or 2; default: 2 when the machine has 2 cores). */
  threads?: number;
  /** Status lines (default console.log). */
  log?: (line: string) => void;
  /** The command that asked for this training, recorded with the experiment. */
  command?: string;
  /**
   * Runs before this run first writes its record (when training, once its lock is held: a run
   * refused by the lock writes nothing); a ten-fold run writes its own record here.
   */
  recording?: () => Promise<void>;
}

/** What {@linkcode trainExperiment} did. */
export interface TrainOutcome {
  /** The finished artifact, when every epoch is done. */
  artifact?: Artifact;
  /** The work folder while training is unfinished. */
  partialDir?: string;
  epochsDone: number;
  record: ExperimentRecord;
  /** true when the trained model was found in the cache and nothing was trained. */
  cached: boolean;
}

/** The options that define an experiment, as stored and compared in its record. */
function describeOptions(options: TrainOptions, compute: string): Record<string, unknown> {
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
function differences(
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

/** Trains (or resumes, or finds cached) the experiment `options.name`. */
export async function trainExperiment(
  store: ArtifactStore,
  options: TrainOptions,
): Promise<TrainOutcome> {
  const log = options.log ?? console.log;
  const index = new ExperimentIndex(store.root);
  // --force replaces a damaged record too.
  const found = await index.get(options.name).catch((error) => {
    if (options.force && error instanceof UserError) return undefined;
    throw error;
  });
  if (found?.kind === "ten-fold") {
    throw new UserError(
      `"${options.name}" is a ten-fold experiment: train it with --protocol lfw-view2 and no --fold, or use another name`,
    );
  }
  const existing = found;
  const model = getModel(options.params.model);
  // Checked before any stage runs, so a bad combination leaves no record and no artifact.
  if (!options.split.prepare.params.grey) {
    throw new UserError(`model ${model.name} needs grey faces: prepare without --colour`);
  }
  if (options.split.params.valPairs === 0) {
    throw new UserError("training needs validation pairs (--val-pairs > 0)");
  }
  // An ensemble compares faces as its members did: on their prepared faces and split.
  const { prepared, split } = options.params.members
    ? await membersData(store, index, options.params.members[0])
    : await ensureSplit(store, options.split);

  // The backend and kernel set are part of what made a model: two kernel sets round
  // differently, so a run is only bit-identical to one made with the same ones.
  const backend = await selectBackend(options.backend, { log });
  const compute = computeSignature(backend);
  const inputs: Record<string, string> = {
    faces: prepared.key,
    split: split.key,
    compute,
  };
  let initialArtifact: Artifact | undefined;
  if (options.load !== undefined) {
    const source = await index.requireSingle(options.load);
    initialArtifact = await store.load("train", source.keys.train);
    if (!initialArtifact) {
      throw new UserError(`--load ${options.load}: that experiment has not finished training`);
    }
    if ((initialArtifact.manifest.params as TrainParams).model !== model.name) {
      throw new UserError(
        `--load ${options.load}: it is a ${
          (initialArtifact.manifest.params as TrainParams).model
        } model, not ${model.name}`,
      );
    }
    // Starting weights must not have seen a person this experiment is tested on.
    const sourceSplit = await store.load("split", source.keys.split);
    const seen = sourceSplit
      ? await loadSplitPeople(sourceSplit.dir).catch(() => undefined)
      : undefined;
    if (!seen) {
      throw new UserError(
        `--load ${options.load}: who it trained on is unknown (its split is missing or from an older version); retrain it first`,
      );
    }
    const tested = new Set((await loadSplitPeople(split.dir)).test);
    const leaked = seen.train.filter((p) => tested.has(p));
    if (leaked.length > 0) {
      throw new UserError(
        `--load ${options.load}: it trained on ${leaked.length} people of this experiment's test set (${
          leaked.slice(0, 3).join(", ")
        }${leaked.length > 3 ? ", ..." : ""}); starting from it would leak the test`,
      );
    }
    inputs.init = initialArtifact.key;
  }
  // An ensemble's members: their trained parameters are its inputs (their keys in its key).
  const members = options.params.members
    ? await loadMembers(store, index, options.params.members, options.params.model, {
      prepared,
      split,
    })
    : undefined;
  members?.keys.forEach((key, i) => inputs[`member${i + 1}`] = key);
  const spec: StageSpec = {
    stage: "train",
    code: stageCode("train", [model]),
    params: options.params,
    inputs,
  };
  const key = await stageKey(spec);
  const described = describeOptions(options, compute);
  const diff = existing ? differences(existing.options, described) : [];
  if (
    existing && existing.keys.train !== key && !options.force && diff.length === 1 &&
    diff[0].startsWith("compute ")
  ) {
    const madeWith = String(existing.options.compute);
    if (existing.status === "complete") {
      const artifact = await store.load("train", existing.keys.train);
      if (artifact) {
        log(
          `train: cached (${
            existing.keys.train.slice(0, 12)
          }), trained with ${madeWith}; this machine computes with ${compute}`,
        );
        return { artifact, epochsDone: options.params.epochs, record: existing, cached: true };
      }
    }
    throw new UserError(
      `experiment "${options.name}" was started with ${madeWith}, and this run would compute with ${compute}: ` +
        `resuming with other kernels breaks the promise that a resumed run equals an uninterrupted one; ` +
        `resume it where it started, or use --force to train it again here`,
    );
  }
  const extension = existing && existing.keys.train !== key && !options.force &&
    existing.status === "complete" && diff.length === 1 &&
    /^train\.epochs (\d+) -> (\d+)$/.exec(diff[0]);
  const extending = extension && Number(extension[2]) > Number(extension[1]);
  if (extending) {
    // More epochs than a finished run trained: continue from its checkpoint (the history goes
    // on; the new key records the total). Its old artifact stays in the store.
    const finished = await store.load("train", existing!.keys.train);
    const partial = store.partialDirOf("train", key);
    // The finished checkpoint replaces an unfinished run of the new total that got less far.
    const partialEpoch = await loadCheckpoint(join(partial, TRAIN_FILES.checkpoint))
      .then((c) => c?.epoch ?? 0, () => 0);
    if (finished && partialEpoch < Number(extension[1])) {
      await Deno.mkdir(partial, { recursive: true });
      for (const file of Object.values(TRAIN_FILES)) {
        await Deno.copyFile(join(finished.dir, file), join(partial, file));
      }
      log(
        `train: extending "${options.name}" from ${extension[1]} to ${
          extension[2]
        } epochs (from its checkpoint)`,
      );
    }
  }
  // Same options, another key: the code that trains (or made an input) changed since.
  const madeByOtherCode = existing !== undefined && existing.keys.train !== key &&
    !options.force && diff.length === 0;
  // Kept only when its prepared faces and split hold today's data (by content, whatever code
  // made them): the ten-fold test checks those.
  if (
    madeByOtherCode && options.keepFinished && existing.status === "complete" &&
    await sameOutputs(store, "prepare", existing.keys.prepare, prepared) &&
    await sameOutputs(store, "split", existing.keys.split, split)
  ) {
    const artifact = await store.load("train", existing.keys.train);
    if (artifact) {
      log(
        `train: "${options.name}" was trained by earlier code (${
          existing.keys.train.slice(0, 12)
        }); kept as it is (--force retrains it with this code)`,
      );
      return { artifact, epochsDone: options.params.epochs, record: existing, cached: true };
    }
  }
  const restart = madeByOtherCode && options.keepFinished === true;
  if (restart && existing.status === "complete") {
    log(
      `train: "${options.name}" was trained by earlier code from other prepared faces or another split; trained again with this code`,
    );
  }
  if (!extending && existing && existing.keys.train !== key && !options.force && !restart) {
    throw new UserError(
      diff.length > 0
        ? `experiment "${options.name}" exists with different parameters (${
          diff.join(", ")
        }); use --force to retrain it, or another name`
        : `experiment "${options.name}" was ${
          existing.status === "complete" ? "trained" : "started"
        } by other code or from other input data (same options, another key: the code of the training or of an earlier stage changed since; \`deno task status ${options.name}\` lists what changed for finished stages); ` +
          `it stays usable as it is (test, compare, export); use --force to train it again with this code, ${
            existing.status === "complete"
              ? "--keep-finished to keep it as it is (when its prepared faces and split still hold today's data), "
              : ""
          }or another name`,
    );
  }
  const replacing = existing !== undefined && existing.keys.train !== key &&
    (options.force === true || restart);
  const now = new Date().toISOString();
  const record: ExperimentRecord = {
    name: options.name,
    createdAt: now,
    updatedAt: now,
    status: "training",
    keys: { prepare: prepared.key, split: split.key, train: key },
    options: described,
    ...(options.command ? { command: options.command } : {}),
  };
  let written = false;
  /**
   * Writes this run's record from the newest one (never from `existing`, a copy taken at the
   * start): the run it replaces keeps a record under another name, so --force never loses a
   * trained model (`deno task experiments mv` brings the name back), and what other commands
   * wrote meanwhile for this very run (a test) is kept.
   */
  const writeRecord = async (status: ExperimentRecord["status"]) => {
    await options.recording?.();
    await index.update(options.name, async (current) => {
      if (current?.kind === "ten-fold") {
        throw new UserError(`"${options.name}" became a ten-fold experiment meanwhile`);
      }
      const same = current?.keys.train === key;
      if (current && !same && current.keys.train !== existing?.keys.train && !options.force) {
        throw new UserError(
          `experiment "${options.name}" was changed by another command while this one started (it names train ${
            current.keys.train.slice(0, 12)
          } now); rerun the command to see what it would do now`,
        );
      }
      if (current && !same && (replacing || options.force)) {
        const kept = await keepRecord(index, current);
        log(
          `train: the earlier "${options.name}" (${
            differences(current.options, described).join(", ") || "other inputs"
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
    written = true;
  };
  // A damaged artifact is not an error here: this is the stage that repairs it (ensure keeps
  // its intact checkpoint, so only the damaged files are rewritten).
  const inspected = options.force ? undefined : await store.inspect("train", key);
  const cachedArtifact = inspected?.state === "ok" ? inspected.artifact : undefined;
  if (cachedArtifact) {
    log(`train: cached (${key.slice(0, 12)})`);
    await writeRecord("complete");
    return {
      artifact: cachedArtifact,
      epochsDone: options.params.epochs,
      record: await newestRecord(index, options.name, record),
      cached: true,
    };
  }

  let epochsDone = 0;
  let threads = 1;
  let complete = false;
  const partialDir = store.partialDirOf("train", key);
  try {
    const { artifact } = await store.ensure(spec, async (workDir) => {
      // The native backend threads by itself; wasm gets one worker per side of the pair.
      threads = backend.name === "wasm"
        ? Math.min(2, options.threads ?? defaultTrainingThreads())
        : 1;
      log(`train: ${threads} training thread${threads > 1 ? "s" : ""}`);
      const faces = await loadFaceArray(prepared.dir);
      if (faces.channels !== 1) {
        throw new UserError(`model ${model.name} needs grey faces: prepare without --colour`);
      }
      const sets = await loadPairSets(split.dir);
      if (sets.val.length === 0) {
        throw new UserError("training needs validation pairs (--val-pairs > 0)");
      }
      const initial = initialArtifact
        ? (await loadCheckpoint(join(initialArtifact.dir, TRAIN_FILES.checkpoint)))?.weights
        : undefined;
      // Identity objectives learn from every image the split allows for training, labelled
      // by person; pair objectives from the split's training pairs.
      let train = pairColumns(sets.train);
      let classes: number | undefined;
      if (learnsIdentities(model)) {
        const identities = identityPairs(
          await loadTrainImages(split.dir),
          (i) => faces.entries[i].person,
          { minImages: options.params.minImagesPerPerson, seed: options.params.seed },
        );
        train = identities.columns;
        classes = identities.classes;
        log(
          `train: ${model.objective.kind} objective: ${train.a.length} training images of ${classes} people` +
            (identities.skippedImages
              ? ` (${identities.skippedImages} images of people with fewer than ${options.params.minImagesPerPerson} left out)`
              : ""),
        );
      }
      const started = performance.now();
      // Fitted models make their parameters in one pass; the others train by steps.
      const run = model.objective.kind === "lda"
        ? fitDescriptorPipeline
        : model.objective.kind === "ensemble"
        ? fitEnsemble
        : runTraining;
      const result = await run(options.params, {
        faces: resizeFaceArray(faces, model.inputSize),
        size: model.inputSize,
        train,
        val: pairColumns(sets.val),
        classes,
      }, {
        workDir,
        timeBudgetSeconds: options.timeBudgetSeconds,
        initialWeights: initial,
        memberWeights: members?.weights,
        memberMetas: members?.metas,
        log,
        progress: options.progress,
        threads,
      });
      epochsDone = result.epochsDone;
      if (!result.complete) throw new TrainingPaused(result.epochsDone);
      complete = true;
      const last = result.history[result.history.length - 1];
      return {
        backend,
        threads,
        parameters: parameterCount(model),
        objective: model.objective,
        classes,
        trainingExamples: train.a.length,
        epochs: result.epochsDone,
        final: last,
        bestValAccuracy: Math.max(...result.history.map((h) => h.valAccuracy)),
        trainingSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
        // An ensemble's budget includes its members' training.
        ...(members ? { membersTrainingSeconds: members.trainingSeconds } : {}),
        lastCallSeconds: (performance.now() - started) / 1000,
        pairsPerSecond: result.history.reduce((s, h) => s + h.pairsPerSecond, 0) /
          result.history.length,
        hardware: {
          cpus: navigator.hardwareConcurrency,
          os: `${Deno.build.os}-${Deno.build.arch}`,
        },
      };
    }, {
      resumable: true,
      force: options.force,
      started: () => writeRecord("training"),
      // Its checksum verifies it on resume: an artifact whose manifest is damaged is repaired
      // from it (the history files are rewritten from its history), not trained again.
      selfChecking: [TRAIN_FILES.checkpoint],
    });
    if (!written) await writeRecord("complete"); // finished by another process meanwhile
    // The newest record of this run, wherever it is now: renamed, kept under another name by a
    // later --force, or forgotten (`experiments rm`) while it trained.
    const updatedAt = new Date().toISOString();
    const named = await index.updateRun(
      options.name,
      key,
      (current) => ({ ...current, status: "complete", updatedAt }),
    );
    if (!named.includes(options.name)) {
      log(
        named.length > 0
          ? `train: "${options.name}" names another run now; this one is recorded as ${
            named.map((n) => `"${n}"`).join(", ")
          }`
          : `train: no experiment names this run any more (it was renamed or forgotten while it trained); its model stays in the store (${
            key.slice(0, 12)
          }) until \`deno task clean --yes\``,
      );
    }
    return {
      artifact,
      epochsDone,
      record: { ...record, status: "complete", updatedAt },
      cached: false,
    };
  } catch (error) {
    if (error instanceof TrainingPaused && !complete) {
      return { partialDir, epochsDone: error.epochsDone, record, cached: false };
    }
    throw error;
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

/** The newest record of `name` if it is a single experiment, else `fallback`. */
async function newestRecord(
  index: ExperimentIndex,
  name: string,
  fallback: ExperimentRecord,
): Promise<ExperimentRecord> {
  const found = await index.get(name).catch(() => undefined);
  return found && found.kind !== "ten-fold" ? found : fallback;
}

/**
 * What computes a training run, as recorded in its key: the tfjs backend and the kernel set
 * (for native kernels this names the BLAS library and the core type it chose).
 */
export function computeSignature(backend: BackendInfo): string {
  return `${backend.name} backend, kernels: ${backend.kernels}`;
}

/** Thrown inside the stage when training stopped early on purpose (time budget). */
class TrainingPaused extends Error {
  readonly epochsDone: number;
  constructor(epochsDone: number) {
    super(`training paused after epoch ${epochsDone}`);
    this.epochsDone = epochsDone;
  }
}
