import assert from "node:assert/strict";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import type { Artifact, Manifest } from "../../lib/pipeline/artifact_store.ts";
import {
  describeOptions,
  differences,
  type RequestedRun,
  resolveExistingRun,
} from "../../lib/pipeline/existing_run.ts";
import type { ExperimentRecord } from "../../lib/pipeline/experiments.ts";
import type { TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions } from "../helpers/fixtures.ts";

const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
const COMPUTE = "wasm backend, kernels: this project's";

/** An artifact of `stage` that is only a key: enough where keys alone decide. */
function keyOnly(stage: string, key: string): Artifact {
  return { stage, key, dir: "/nonexistent", manifest: {} as Manifest };
}

const options: TrainOptions = tinyTrainOptions("/nonexistent", "earlier", "seed");

/** The run asked for now, with `key`; its log lines go to `lines`. */
function requested(key: string, lines: string[] = [], compute = COMPUTE): RequestedRun {
  return {
    key,
    described: describeOptions(options, compute),
    compute,
    prepared: keyOnly("prepare", "p".repeat(64)),
    split: keyOnly("split", "s".repeat(64)),
    log: (line) => lines.push(line),
  };
}

/** The earlier run of the name: `status`, train key `train`, options as given. */
function earlier(
  status: ExperimentRecord["status"],
  train: string,
  described = describeOptions(options, COMPUTE),
): ExperimentRecord {
  return {
    name: "earlier",
    createdAt: "2026-12-01T00:00:00Z",
    updatedAt: "2026-12-01T00:00:00Z",
    status,
    keys: { prepare: "p".repeat(64), split: "s".repeat(64), train },
    options: described,
  };
}

const OLD = "e".repeat(64), NEW = "n".repeat(64);

Deno.test("differences: each changed option by its path, old -> new", () => {
  assert.deepEqual(
    differences(
      { train: { epochs: 2, model: "seed" }, load: undefined },
      { train: { epochs: 3, model: "seed" }, load: "x" },
    ),
    ["train.epochs 2 -> 3", 'load undefined -> "x"'],
  );
  assert.deepEqual(differences({ a: [1, 2] }, { a: [1, 2] }), []);
});

Deno.test("no earlier run, or the same key: nothing replaced; --force replaces any other", async () => {
  assert.deepEqual(await resolveExistingRun(store, options, undefined, requested(NEW)), {
    replacing: false,
  });
  assert.deepEqual(
    await resolveExistingRun(store, options, earlier("complete", NEW), requested(NEW)),
    { replacing: false },
  );
  assert.deepEqual(
    await resolveExistingRun(
      store,
      { ...options, force: true },
      earlier("complete", OLD),
      requested(NEW),
    ),
    { replacing: true },
  );
});

Deno.test("other options are refused naming what differs; fewer epochs too", async () => {
  const fewer = describeOptions(
    { ...options, params: { ...options.params, epochs: 5 } },
    COMPUTE,
  );
  await assert.rejects(
    () => resolveExistingRun(store, options, earlier("complete", OLD, fewer), requested(NEW)),
    (e: Error) =>
      e instanceof UserError &&
      /exists with different parameters \(train\.epochs 5 -> 1\); use --force/.test(e.message),
  );
  // More epochs than an unfinished run: refused too (only a finished run is extended).
  const less = describeOptions({ ...options, params: { ...options.params, epochs: 0 } }, COMPUTE);
  await assert.rejects(
    () => resolveExistingRun(store, options, earlier("training", OLD, less), requested(NEW)),
    /train\.epochs 0 -> 1/,
  );
});

Deno.test("more epochs than a finished run: extended (its checkpoint seeds the run when it is there)", async () => {
  const fewer = describeOptions({ ...options, params: { ...options.params, epochs: 0 } }, COMPUTE);
  // Its artifact is gone here: the run trains from scratch under the new key.
  assert.deepEqual(
    await resolveExistingRun(store, options, earlier("complete", OLD, fewer), requested(NEW)),
    { replacing: false },
  );
});

Deno.test("same options, another key: refused with the ways on; --keep-finished retrains what it cannot keep", async () => {
  await assert.rejects(
    () => resolveExistingRun(store, options, earlier("complete", OLD), requested(NEW)),
    (e: Error) =>
      e instanceof UserError &&
      /"earlier" was trained by other code .* --force to train it again with this code, --keep-finished to keep it as it is \(when its prepared faces and split still hold today's data\), or another name$/
        .test(e.message),
  );
  await assert.rejects(
    () => resolveExistingRun(store, options, earlier("training", OLD), requested(NEW)),
    (e: Error) =>
      e instanceof UserError && /"earlier" was started by other code/.test(e.message) &&
      !e.message.includes("--keep-finished"),
  );
  const keep = { ...options, keepFinished: true };
  // Unfinished: trained again with this code, replacing it (its record kept under another name).
  const lines: string[] = [];
  assert.deepEqual(
    await resolveExistingRun(store, keep, earlier("training", OLD), requested(NEW, lines)),
    { replacing: true },
  );
  assert.deepEqual(lines, []);
  // Finished, but its model is not in the store: trained again, and said so.
  assert.deepEqual(
    await resolveExistingRun(store, keep, earlier("complete", OLD), requested(NEW, lines)),
    { replacing: true },
  );
  assert.match(lines.join("\n"), /"earlier" was trained by earlier code .*; trained again/);
});

Deno.test("other kernels: an unfinished run is refused, it would resume with other arithmetic", async () => {
  await assert.rejects(
    () =>
      resolveExistingRun(
        store,
        options,
        earlier("training", OLD),
        requested(NEW, [], "native backend, kernels: openblas"),
      ),
    /was started with wasm backend, kernels: this project's, and this run would compute with native backend/,
  );
});
