import assert from "node:assert/strict";
import { join } from "node:path";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { PREPARE_CODE } from "../../lib/pipeline/prepare_stage.ts";
import { SPLIT_CODE, SPLIT_FILES } from "../../lib/pipeline/split_stage.ts";
import { TRAIN_CODE } from "../../lib/pipeline/train_stage.ts";
import { TEST_CODE, TEST_FILES } from "../../lib/pipeline/test_stage.ts";
import { TEN_FOLD_TEST_CODE } from "../../lib/pipeline/ten_fold.ts";
import { STORE_STAGES } from "../../lib/pipeline/clean.ts";
import { stage, STAGE_TABLE, stageCode } from "../../lib/pipeline/stages.ts";
import { getModel } from "../../lib/model/registry.ts";
import { codeFingerprint } from "../../lib/pipeline/code_fingerprint.ts";
import { tempDir } from "../helpers/fixtures.ts";

Deno.test("the stage modules take their code and output names from the declared table", () => {
  assert.equal(PREPARE_CODE, stage("prepare").code);
  assert.equal(SPLIT_CODE, stage("split").code);
  assert.equal(TRAIN_CODE, stage("train").code);
  assert.equal(TEST_CODE, stage("test").code);
  assert.equal(TEN_FOLD_TEST_CODE, stage("ten-fold test").code);
  assert.deepEqual(stage("split").outputs, Object.values(SPLIT_FILES));
  assert.ok(stage("test").outputs.includes(TEST_FILES.metrics));
  assert.deepEqual(STAGE_TABLE.map((s) => s.name), [
    "prepare",
    "split",
    "train",
    "test",
    "ten-fold test",
  ]);
  assert.deepEqual(STORE_STAGES, ["prepare", "split", "train", "test"]);
  for (const s of STAGE_TABLE) {
    const { entries, boundaries, model } = s.code;
    for (const url of [...entries, ...boundaries, ...Object.values(model ?? {}).flat()]) {
      assert.ok(Deno.statSync(url).isFile, `${s.name}: ${url}`);
    }
  }
});

Deno.test("a build of a declared stage that misses a declared output fails and caches nothing", async () => {
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const spec = {
    stage: "split",
    code: stageCode("split"),
    params: { x: 1 },
    inputs: { faces: "f" },
  };
  await assert.rejects(
    () =>
      store.ensure(spec, async (dir) => {
        await Deno.writeTextFile(join(dir, SPLIT_FILES.pairs), "{}");
        return {};
      }),
    /split: the build wrote no stats\.json, people\.json, train_images\.json \(declared in lib\/pipeline\/stages\.ts\)/,
  );
  assert.deepEqual([...Deno.readDirSync(join(store.root, "split"))].map((e) => e.name), []);
  const complete = await store.ensure(spec, async (dir) => {
    for (const file of Object.values(SPLIT_FILES)) await Deno.writeTextFile(join(dir, file), "{}");
    return {};
  });
  assert.equal(complete.cached, false);
});

Deno.test("the data stages' code keys hold the data code, not the models or the training", async () => {
  for (const name of ["prepare", "split"] as const) {
    const files = Object.keys((await codeFingerprint(stageCode(name).parts)).files);
    assert.ok(files.includes(`lib/pipeline/${name}_stage.ts`), files.join(" "));
    const foreign = files.filter((f) =>
      f.startsWith("lib/model/") || f.startsWith("lib/train/trainer")
    );
    assert.deepEqual(foreign, [], `${name}: a model change would rebuild its faces`);
  }
  const train = Object.keys(
    (await codeFingerprint(stageCode("train", [getModel("seed")]).parts)).files,
  );
  assert.ok(train.includes("lib/model/seed_model.ts") && train.includes("lib/train/trainer.ts"));
  assert.ok(!train.includes("lib/model/registry.ts"), "the registry loads every model");
});
