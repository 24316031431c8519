import assert from "node:assert/strict";
import { join } from "node:path";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { openTrainedExperiment } from "../../lib/pipeline/trained_experiment.ts";
import { TRAIN_FILES } from "../../lib/train/train_files.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("an unfinished run: its last checkpoint is used; a damaged one is named as damaged, with how to train again", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const options = tinyTrainOptions(images, "paused", "seed");
  const outcome = await trainExperiment(store, {
    ...options,
    params: { ...options.params, epochs: 3 },
    timeBudgetSeconds: 1e-6,
  });
  assert.equal(outcome.artifact, undefined);
  const opened = await openTrainedExperiment(store, "paused", { allowUnfinished: true });
  assert.equal(opened.unfinishedEpochs, 1);
  const path = join(outcome.partialDir!, TRAIN_FILES.checkpoint);
  // One weight changed after the checkpoint was written: its checksum no longer holds.
  const bytes = Deno.readFileSync(path);
  bytes[bytes.length - 3] ^= 0xff;
  Deno.writeFileSync(path, bytes);
  const refused = (pattern: RegExp, allowUnfinished: boolean) =>
    assert.rejects(
      () => openTrainedExperiment(store, "paused", { allowUnfinished }),
      (e: Error) => e instanceof UserError && pattern.test(e.message) && !e.message.includes("\n"),
    );
  await refused(
    new RegExp(
      `^experiment "paused" has not finished training and the checkpoint of its last trained ` +
        `epoch is damaged \\(checkpoint checksum mismatch .*\\): ${path}; ` +
        "`deno task train paused --force` trains it again from the start$",
    ),
    true,
  );
  // Where an unfinished run is not enough, that is what is said.
  await refused(/^experiment "paused" has not finished training yet/, false);
  // No checkpoint at all: no trained epoch.
  Deno.removeSync(path);
  await refused(/^experiment "paused" has no trained epoch yet/, true);
});
