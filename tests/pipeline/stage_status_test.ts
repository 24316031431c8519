/**
 * `status` of an experiment just trained and tested says every stage is cached, also where a
 * protocol ignores an option the record keeps (the seed protocol's share of validation people).
 */
import assert from "node:assert/strict";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { testExperiment } from "../../lib/pipeline/test_stage.ts";
import { experimentStatus } from "../../lib/pipeline/stage_status.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("status: a seed-protocol experiment just trained and tested is cached in every stage", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const options = tinyTrainOptions(images, "tiny", "seed");
  assert.equal(options.split.params.protocol, "seed");
  assert.ok(options.split.params.valPeopleShare > 0);
  await trainExperiment(store, options);
  await testExperiment(store, {
    name: "tiny",
    params: { ...TEST_DEFAULTS, trainEvalPairs: 16 },
    backend: "wasm",
    log: () => {},
  });
  const status = await experimentStatus(store, "tiny");
  assert.deepEqual(status.map((s) => [s.stage, s.state, s.reasons]), [
    ["prepare", "cached", []],
    ["split", "cached", []],
    ["train", "cached", []],
    ["test", "cached", []],
  ]);
});
