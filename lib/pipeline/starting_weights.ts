/**
 * `train --load OTHER`: the finished experiment whose trained weights a run starts from, checked
 * to be a model of the same kind that has seen none of the run's test people. Part of the
 * pipeline's machinery (`stages.ts`): it only picks the artifact, whose key is an input of the
 * run's key.
 *
 * @example
 * ```ts
 * const start = await startingWeights(store, index, "pretrained", getModel("seed"), split);
 * start.key; // the train artifact's key, recorded as the run's `init` input
 * ```
 * @module
 */
import type { SiameseModel } from "../model/siamese_model.ts";
import type { TrainParams } from "../train/trainer.ts";
import { UserError } from "../util/errors.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import type { ExperimentIndex } from "./experiments.ts";
import { loadSplitPeople } from "./split_files.ts";

/**
 * The trained artifact of experiment `name` for a run of `model` on `split`; a UserError when it
 * is unfinished, another kind of model, or trained on any person of `split`'s test set.
 */
export async function startingWeights(
  store: ArtifactStore,
  index: ExperimentIndex,
  name: string,
  model: SiameseModel,
  split: Artifact,
): Promise<Artifact> {
  const source = await index.requireSingle(name);
  const artifact = await store.load("train", source.keys.train);
  if (!artifact) {
    throw new UserError(`--load ${name}: that experiment has not finished training`);
  }
  const kind = (artifact.manifest.params as TrainParams).model;
  if (kind !== model.name) {
    throw new UserError(`--load ${name}: it is a ${kind} model, not ${model.name}`);
  }
  // Starting weights must not have seen a person this experiment is tested on.
  const sourceSplit = await store.load("split", source.keys.split);
  const seen = sourceSplit
    ? await loadSplitPeople(sourceSplit.dir).catch(() => undefined)
    : undefined;
  if (!seen) {
    throw new UserError(
      `--load ${name}: who it trained on is unknown (its split is missing or from an older version); retrain it first`,
    );
  }
  const tested = new Set((await loadSplitPeople(split.dir)).test);
  const leaked = seen.train.filter((p) => tested.has(p));
  if (leaked.length > 0) {
    throw new UserError(
      `--load ${name}: it trained on ${leaked.length} people of this experiment's test set (${
        leaked.slice(0, 3).join(", ")
      }${leaked.length > 3 ? ", ..." : ""}); starting from it would leak the test`,
    );
  }
  return artifact;
}
