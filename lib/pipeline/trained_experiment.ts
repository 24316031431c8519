/**
 * The one way to open a trained experiment for use (test, compare, export, the ten-fold
 * evaluation): its record, the checkpoint to use (the finished model, or an unfinished run's
 * last checkpoint where the caller allows it), its data artifacts, and its weights on demand.
 *
 * @example
 * ```ts
 * const trained = await openTrainedExperiment(store, "v1", { allowUnfinished: true });
 * const params = await trained.loadWeights();
 * ```
 *
 * A record names its artifacts by key; before any of them is used, they are checked to be what
 * the record says ({@linkcode checkRecordArtifacts}): a train artifact made with the record's
 * training options from its prepared faces and split, an evaluation of that model. A record
 * pointing at another experiment's model (edited by hand, copied, or left by an older version)
 * is a UserError, never a model scored with another experiment's threshold and crop.
 * @module
 */
import { join } from "node:path";
import { ModelParams } from "../model/model_params.ts";
import { getModel } from "../model/registry.ts";
import type { SiameseModel } from "../model/siamese_model.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import type { TrainParams } from "../train/trainer.ts";
import { TRAIN_FILES } from "../train/train_files.ts";
import { UserError } from "../util/errors.ts";
import { damageReason } from "../util/damaged_file.ts";
import { sha256File } from "../util/hash.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import { ExperimentIndex, type ExperimentRecord } from "./experiments.ts";
import { checkRecordArtifacts, recordRepair } from "./record_artifacts.ts";

/** An experiment opened by {@linkcode openTrainedExperiment}. */
export interface TrainedExperiment {
  record: ExperimentRecord;
  /** The training parameters. */
  params: TrainParams;
  model: SiameseModel;
  /** Folder of the checkpoint used. */
  dir: string;
  /** Key of what was trained: the train artifact's, or for an unfinished run its checkpoint's. */
  key: string;
  /** For an unfinished run: the epochs its checkpoint holds. */
  unfinishedEpochs?: number;
  prepared: Artifact;
  split: Artifact;
  /** The trained weights as live parameters (the caller disposes them). */
  loadWeights(): Promise<ModelParams>;
  /** The checkpoint's meta (a fitted model's stored validation scores among it). */
  loadMeta(): Promise<Record<string, unknown>>;
}

/**
 * Opens experiment `name`. A run that has not finished is a UserError unless `allowUnfinished`
 * (then its last checkpoint is used, and a damaged one is a UserError saying so and how to train
 * again); damaged artifacts are UserErrors from the store.
 */
export async function openTrainedExperiment(
  store: ArtifactStore,
  name: string,
  options: { allowUnfinished?: boolean } = {},
): Promise<TrainedExperiment> {
  const record = await new ExperimentIndex(store.root).requireSingle(name);
  const trained = await store.load("train", record.keys.train);
  let source: Pick<TrainedExperiment, "dir" | "key" | "params" | "unfinishedEpochs">;
  if (trained) {
    source = { dir: trained.dir, key: trained.key, params: trained.manifest.params as TrainParams };
  } else {
    const dir = store.partialDirOf("train", record.keys.train);
    const path = join(dir, TRAIN_FILES.checkpoint);
    const checkpoint = options.allowUnfinished
      ? await loadCheckpoint(path).catch((error) => {
        // Not "no trained epoch": there is one, but its file cannot be used.
        throw new UserError(
          `experiment "${name}" has not finished training and the checkpoint of its last ` +
            `trained epoch is damaged (${damageReason(error)}): ${path}; ` +
            `\`deno task train ${name} --force\` trains it again from the start`,
        );
      })
      : undefined;
    const recorded = (record.options as { train?: TrainParams }).train;
    if (checkpoint && recorded && checkpoint.model !== recorded.model) {
      throw new UserError(
        `experiment "${name}": its record says model ${recorded.model}, but the unfinished run it names (${
          record.keys.train.slice(0, 12)
        }) trains ${checkpoint.model}; ${recordRepair(name)}`,
      );
    }
    if (!checkpoint) {
      throw new UserError(
        `experiment "${name}" has ${
          options.allowUnfinished ? "no trained epoch" : "not finished training"
        } yet: run \`deno task train ${name}\` first`,
      );
    }
    source = {
      dir,
      key: `${record.keys.train}.partial@${await sha256File(path)}`,
      params: (record.options as { train: TrainParams }).train,
      unfinishedEpochs: checkpoint.epoch,
    };
  }
  const prepared = await store.load("prepare", record.keys.prepare);
  const split = await store.load("split", record.keys.split);
  if (!prepared || !split) {
    throw new UserError(
      `the data of experiment "${name}" is gone: \`deno task train ${name}\` rebuilds it`,
    );
  }
  const test = record.keys.test ? await store.inspect("test", record.keys.test) : undefined;
  checkRecordArtifacts(record, {
    prepared,
    split,
    train: trained,
    test: test?.state === "ok" ? test.artifact : undefined,
    trainedSplit: await trainedSplitOf(store, trained, record.keys.split),
  });
  const model = getModel(source.params.model);
  // Read once for the weights and the meta (a fitted model's is tens of megabytes).
  let read: ReturnType<typeof loadCheckpoint> | undefined;
  const checkpoint = async () => {
    const found = await (read ??= loadCheckpoint(join(source.dir, TRAIN_FILES.checkpoint)));
    if (!found) throw new UserError(`the checkpoint of "${name}" is gone from ${source.dir}`);
    return found;
  };
  return {
    record,
    model,
    prepared,
    split,
    ...source,
    async loadWeights() {
      return new ModelParams(model, (await checkpoint()).weights);
    },
    async loadMeta() {
      return (await checkpoint()).meta;
    },
  };
}

/**
 * The split artifact model `train` was trained from when its key is not `recorded` (else
 * undefined), for {@linkcode checkRecordArtifacts}.
 */
export async function trainedSplitOf(
  store: ArtifactStore,
  train: Artifact | undefined,
  recorded: string,
): Promise<Artifact | undefined> {
  const key = train?.manifest.inputs.split;
  return key && key !== recorded
    ? await store.load("split", key).catch(() => undefined)
    : undefined;
}
