/**
 * `test --projection`: the check that a model and the test options can take one, and its fit on
 * the embeddings of an experiment's training people (used by `test` and, per fold, by the ten-fold
 * evaluation, also in its workers: this module loads no image library).
 *
 * @example
 * ```ts
 * checkProjection(trained.model, params); // a UserError for a model it does not suit
 * const projection = await fitProjection(trained, weights, faces, entries, params, console.log);
 * ```
 * @module
 */
import type { TestParams } from "../config/defaults.ts";
import { embedPreparedFaces, fitWccn, type Projection } from "../evaluate/embedding_projection.ts";
import type { ModelParams } from "../model/model_params.ts";
import { comparesByCosine, type SiameseModel } from "../model/siamese_model.ts";
import { learnsIdentities } from "../train/objective.ts";
import { UserError } from "../util/errors.ts";
import { loadTrainImages } from "./split_files.ts";
import type { TrainedExperiment } from "./trained_experiment.ts";

/** Refuses a `--projection` the model or the other options cannot take, before any work. */
export function checkProjection(model: SiameseModel, params: TestParams): void {
  if (params.projection === "none") return;
  if (!learnsIdentities(model)) {
    throw new UserError(
      `--projection wccn: model ${model.name} verifies pairs with a learnt head, not by comparing embeddings; use it with an identity model (e.g. seed_cosface)`,
    );
  }
  if (!comparesByCosine(model)) {
    throw new UserError(
      `--projection wccn: model ${model.name} scores pairs with a head fitted on the embeddings as they are, not by their cosine; use it with a model compared by cosine (e.g. lbp_lda)`,
    );
  }
  if (params.tta > 0) {
    throw new UserError("--projection wccn and --tta cannot be combined");
  }
}

/**
 * Fits `--projection wccn` on the embeddings of the experiment's training images (its training
 * people only; identity models only). `small` holds the faces at the model's input size.
 */
export async function fitProjection(
  trained: TrainedExperiment,
  params: ModelParams,
  small: Uint8Array,
  entries: readonly { person: string }[],
  testParams: TestParams,
  log: (line: string) => void,
): Promise<Projection> {
  const images = await loadTrainImages(trained.split.dir);
  const ids = new Map<string, number>();
  const people = Int32Array.from(images, (i: number) => {
    const person = entries[i].person;
    if (!ids.has(person)) ids.set(person, ids.size);
    return ids.get(person)!;
  });
  const started = performance.now();
  const embeddings = embedPreparedFaces(params, small, trained.model.inputSize, images, {
    flip: testParams.flip,
  });
  const projection = fitWccn(embeddings, people, trained.model.embeddingSize, {
    lambda: testParams.wccnLambda,
  });
  log(
    `test: WCCN projection fitted on ${projection.images} images of ${projection.people} training people (lambda ${projection.lambda}), ${
      ((performance.now() - started) / 1000).toFixed(1)
    }s`,
  );
  return projection;
}
