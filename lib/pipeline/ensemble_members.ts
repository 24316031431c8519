/**
 * The members of an ensemble (`train NAME --members A,B`): finished experiments whose prepared
 * faces and split hold the same data (by content, whatever version of the data code made them),
 * whose trained parameters become the ensemble's, and whose train artifacts' keys are its inputs.
 * @module
 */
import { join } from "node:path";
import { ENSEMBLE_SEPARATOR } from "../model/ensemble_model.ts";
import type { ParamArrays } from "../model/model_params.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import type { TrainParams } from "../train/trainer.ts";
import { TRAIN_FILES } from "../train/train_files.ts";
import { UserError } from "../util/errors.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import type { ExperimentIndex } from "./experiments.ts";
import { sameOutputs } from "./same_outputs.ts";
import type { PrepareParams, SplitParams } from "../config/defaults.ts";
import type { SplitOptions } from "./split_stage.ts";

/** The prepared faces and split of an ensemble's members (the first's; all must hold the same). */
export async function membersData(
  store: ArtifactStore,
  index: ExperimentIndex,
  member: string,
): Promise<{ prepared: Artifact; split: Artifact }> {
  const first = await index.get(member);
  if (!first || first.kind === "ten-fold") {
    throw new UserError(
      first
        ? `--members ${member}: it is a ten-fold experiment; the ensemble is then made fold by fold (its folds are single experiments)`
        : `--members ${member}: no such experiment (\`deno task experiments\` lists them)`,
    );
  }
  const prepared = await store.load("prepare", first.keys.prepare);
  const split = await store.load("split", first.keys.split);
  if (!prepared || !split) {
    throw new UserError(
      `--members ${member}: its prepared faces or split are gone; \`deno task train ${member}\` rebuilds them`,
    );
  }
  return { prepared, split };
}

/**
 * Each member's trained parameters, checkpoint meta (its stored validation scores among them)
 * and train artifact key, and their summed training time, after checking that it finished, holds
 * the data of `data` and is of the model `ensembleModel` names in its place.
 */
export async function loadMembers(
  store: ArtifactStore,
  index: ExperimentIndex,
  members: readonly string[],
  ensembleModel: string,
  data: { prepared: Artifact; split: Artifact },
): Promise<
  {
    weights: ParamArrays[];
    metas: Record<string, unknown>[];
    keys: string[];
    trainingSeconds: number;
  }
> {
  const { prepared, split } = data;
  const weights: ParamArrays[] = [];
  const metas: Record<string, unknown>[] = [];
  const keys: string[] = [];
  let trainingSeconds = 0;
  const memberModels = ensembleModel.split(ENSEMBLE_SEPARATOR);
  for (const [i, member] of members.entries()) {
    const found = await index.get(member);
    if (!found || found.kind === "ten-fold") {
      throw new UserError(
        found
          ? `--members ${member}: it is a ten-fold experiment and ${
            members[0]
          } is not (an ensemble's members are all single or all ten-fold)`
          : `--members ${member}: no such experiment (\`deno task experiments\` lists them)`,
      );
    }
    const artifact = found.status === "complete"
      ? await store.load("train", found.keys.train)
      : undefined;
    if (!artifact) {
      throw new UserError(`--members ${member}: that experiment has not finished training`);
    }
    if (
      !await sameOutputs(store, "prepare", found.keys.prepare, prepared) ||
      !await sameOutputs(store, "split", found.keys.split, split)
    ) {
      throw new UserError(
        `--members ${member}: it was trained on other prepared faces or another split than ${
          members[0]
        } (an ensemble's members share both)`,
      );
    }
    if ((artifact.manifest.params as TrainParams).model !== memberModels[i]) {
      throw new UserError(
        `--members ${member}: it is a ${
          (artifact.manifest.params as TrainParams).model
        } model, not ${memberModels[i]}`,
      );
    }
    const checkpoint = await loadCheckpoint(join(artifact.dir, TRAIN_FILES.checkpoint));
    if (!checkpoint) throw new UserError(`--members ${member}: its checkpoint is gone`);
    weights.push(checkpoint.weights);
    metas.push(checkpoint.meta);
    keys.push(artifact.key);
    trainingSeconds += (artifact.manifest.info as { trainingSeconds?: number }).trainingSeconds ??
      0;
  }
  return { weights, metas, keys, trainingSeconds };
}

/** The models of experiments `names` (single or ten-fold), from their records. */
export async function memberModels(index: ExperimentIndex, names: string[]): Promise<string[]> {
  const models: string[] = [];
  for (const name of names) {
    const record = await index.get(name);
    const model = (record?.options.train as { model?: string } | undefined)?.model;
    if (!record || !model) {
      throw new UserError(
        `--members ${name}: no such experiment (\`deno task experiments\` lists them)`,
      );
    }
    models.push(model);
  }
  return models;
}

/**
 * The data options `member` was trained with (a ten-fold experiment's: its first fold's without
 * the fold), so that an ensemble's record says what it compares faces on.
 */
export async function memberSplit(
  index: ExperimentIndex,
  member: string,
  defaults: SplitOptions,
): Promise<SplitOptions> {
  let record = await index.get(member);
  const tenFold = record?.kind === "ten-fold";
  if (record?.kind === "ten-fold") record = await index.get(record.folds[0]);
  const options = record?.options as
    | { images: string; prepare: PrepareParams; split: SplitParams }
    | undefined;
  if (!options?.split || !options.prepare) {
    throw new UserError(
      `--members ${member}: no such experiment (\`deno task experiments\` lists them)`,
    );
  }
  return {
    ...defaults,
    prepare: { images: options.images, params: options.prepare },
    params: { ...options.split, fold: tenFold ? undefined : options.split.fold },
  };
}
