/**
 * A record that names another experiment's artifacts (its model, its faces, its test result) is
 * refused by every task that would use them: test, compare, export and the report.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ExperimentIndex, type ExperimentRecord } from "../../lib/pipeline/experiments.ts";
import { trainExperiment, type TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { testExperiment } from "../../lib/pipeline/test_stage.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { exportExperiment } from "../../lib/compare/export_experiment.ts";
import { loadExperimentData } from "../../lib/report/experiment_data.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
const index = new ExperimentIndex(store.root);
const testParams = { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 8, galleryPairs: 0 };

function options(name: string, change: (o: TrainOptions) => void = () => {}): TrainOptions {
  const o = tinyTrainOptions(images, name, "seed");
  change(o);
  return o;
}

/** Every task that uses the record's artifacts refuses `name`, naming `problem`. */
async function refusedEverywhere(name: string, problem: RegExp) {
  const refused = (e: unknown) =>
    e instanceof UserError && /names artifacts made for another experiment/.test(e.message) &&
    problem.test(e.message) && /deno task train .* --force/.test(e.message);
  await assert.rejects(
    () => testExperiment(store, { name, params: testParams, backend: "wasm", log: () => {} }),
    refused,
  );
  await assert.rejects(() => FaceComparer.open(store, name, { backend: "wasm" }), refused);
  await assert.rejects(
    () => exportExperiment(store, name, { outDir: join(tempDir(), "out"), backend: "wasm" }),
    refused,
  );
  await assert.rejects(() => loadExperimentData(store, name), refused);
}

Deno.test("a record naming another experiment's model, faces or test result is refused by test, compare, export and report", async () => {
  await trainExperiment(store, options("own"));
  await trainExperiment(store, options("other_seed", (o) => o.params.seed = 9));
  await trainExperiment(
    store,
    options("other_crop", (o) => {
      o.split.prepare.params = { ...o.split.prepare.params, box: [80, 80, 170, 170] };
    }),
  );
  await testExperiment(store, {
    name: "other_seed",
    params: testParams,
    backend: "wasm",
    log: () => {},
  });
  const own = (await index.requireSingle("own")) as ExperimentRecord;
  const otherSeed = await index.requireSingle("other_seed");
  const otherCrop = await index.requireSingle("other_crop");
  // The record as trained is used.
  await testExperiment(store, { name: "own", params: testParams, backend: "wasm", log: () => {} });
  (await FaceComparer.open(store, "own", { backend: "wasm" })).dispose();
  await loadExperimentData(store, "own");

  await index.put({
    ...own,
    name: "model_swapped",
    keys: { ...own.keys, train: otherSeed.keys.train },
  });
  await refusedEverywhere(
    "model_swapped",
    /its model \(\w+\) was trained with seed 9 \(recorded 3\)/,
  );

  await index.put({
    ...own,
    name: "crop_swapped",
    keys: { ...own.keys, train: otherCrop.keys.train },
  });
  await refusedEverywhere("crop_swapped", /trained on other prepared faces/);

  await index.put({
    ...own,
    name: "test_swapped",
    keys: { ...own.keys, test: otherSeed.keys.test },
  });
  await refusedEverywhere("test_swapped", /its test result \(\w+\) evaluated another model/);

  await index.put({
    ...own,
    name: "faces_swapped",
    keys: { ...otherCrop.keys, train: own.keys.train },
    options: otherCrop.options,
  });
  await refusedEverywhere("faces_swapped", /its model \(\w+\) was trained on other prepared faces/);
});
