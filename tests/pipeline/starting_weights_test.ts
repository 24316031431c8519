import assert from "node:assert/strict";
import { getModel } from "../../lib/model/registry.ts";
import { join } from "node:path";
import { ArtifactStore, type Manifest } from "../../lib/pipeline/artifact_store.ts";
import { SPLIT_FILES } from "../../lib/pipeline/stages.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { startingWeights } from "../../lib/pipeline/starting_weights.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
const index = new ExperimentIndex(store.root);

Deno.test("--load: a finished model of the same kind whose people are known; each other case refused, naming it", async () => {
  const finished = await trainExperiment(store, tinyTrainOptions(images, "finished", "seed"));
  const split = (await store.load("split", finished.record.keys.split))!;
  const refused = async (name: string, model: string, message: RegExp) => {
    await assert.rejects(
      () => startingWeights(store, index, name, getModel(model), split),
      (e: Error) => e instanceof UserError && message.test(e.message),
    );
  };
  // The seed protocol's training and test pairs share people: starting from it would leak.
  await refused(
    "finished",
    "seed",
    /^--load finished: it trained on \d+ people of this experiment's test set \(.*\); starting from it would leak the test$/,
  );
  await refused(
    "finished",
    "seed_cosface",
    /^--load finished: it is a seed model, not seed_cosface$/,
  );
  await trainExperiment(store, {
    ...tinyTrainOptions(images, "paused", "seed"),
    params: { ...tinyTrainOptions(images, "paused", "seed").params, epochs: 2 },
    timeBudgetSeconds: 1e-6,
  });
  await refused("paused", "seed", /^--load paused: that experiment has not finished training$/);
  await refused("nowhere", "seed", /nowhere/);
  // Its split gone from the store: who it trained on is unknown.
  await Deno.remove(split.dir, { recursive: true });
  await refused("finished", "seed", /^--load finished: who it trained on is unknown/);
});

Deno.test("--load: a finished model of the same kind that saw none of the run's test people is the starting artifact", async () => {
  const trained = await trainExperiment(store, tinyTrainOptions(images, "elsewhere", "seed"));
  // A run whose test people are others (as a View 1 run loading a model of View 2's fold).
  const split = tempDir();
  await Deno.writeTextFile(
    join(split, SPLIT_FILES.people),
    JSON.stringify({ train: [], val: [], test: ["Nobody_Seen"] }),
  );
  const start = await startingWeights(store, index, "elsewhere", getModel("seed"), {
    stage: "split",
    key: "s".repeat(64),
    dir: split,
    manifest: {} as Manifest,
  });
  assert.equal(start.key, trained.record.keys.train);
});
