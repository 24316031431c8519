import assert from "node:assert/strict";
import { describeOptions } from "../../lib/pipeline/existing_run.ts";
import { ExperimentIndex, type ExperimentRecord } from "../../lib/pipeline/experiments.ts";
import { RunRecorder } from "../../lib/pipeline/run_recorder.ts";
import type { TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { tempDir, tinyTrainOptions } from "../helpers/fixtures.ts";

const options: TrainOptions = tinyTrainOptions("/nonexistent", "run", "seed");

/** A record of experiment `name` for train key `train`, trained for `epochs`. */
function record(name: string, train: string, epochs = 1): ExperimentRecord {
  const params = { ...options.params, epochs };
  return {
    name,
    createdAt: "2026-12-01T00:00:00Z",
    updatedAt: "2026-12-01T00:00:00Z",
    status: "training",
    keys: { prepare: "p".repeat(64), split: "s".repeat(64), train },
    options: describeOptions({ ...options, params }, "wasm"),
  };
}

Deno.test("a run's record: written as it starts, complete when it finishes", async () => {
  const index = new ExperimentIndex(tempDir());
  const lines: string[] = [];
  const recorder = new RunRecorder(index, options, record("run", "a".repeat(64)), {
    replacing: false,
    log: (l) => lines.push(l),
  });
  assert.equal(recorder.written, false);
  await recorder.write("training");
  assert.equal(recorder.written, true);
  assert.equal((await index.requireSingle("run")).status, "training");
  const finished = await recorder.finish();
  assert.equal(finished.status, "complete");
  assert.equal((await index.requireSingle("run")).status, "complete");
  assert.equal((await recorder.newest()).status, "complete");
  assert.deepEqual(lines, []);
});

Deno.test("a run replacing another keeps the earlier record under another name, saying how to restore it", async () => {
  const index = new ExperimentIndex(tempDir());
  const before = record("run", "b".repeat(64), 2);
  await index.put(before);
  const lines: string[] = [];
  const recorder = new RunRecorder(index, options, record("run", "a".repeat(64)), {
    existing: before,
    replacing: true,
    log: (l) => lines.push(l),
  });
  await recorder.write("training");
  const kept = (await index.names()).find((n) => n.startsWith("run_before_"))!;
  assert.ok(kept, (await index.names()).join(", "));
  assert.equal((await index.requireSingle(kept)).keys.train, "b".repeat(64));
  assert.equal((await index.requireSingle("run")).keys.train, "a".repeat(64));
  assert.match(
    lines.join("\n"),
    new RegExp(
      `the earlier "run" \\(train\\.epochs 2 -> 1\\) is kept as "${kept}"; \`deno task experiments mv ${kept} run\` restores it`,
    ),
  );
});

Deno.test("a record changed by another command meanwhile is not overwritten; a run renamed while it trained is completed under its new name", async () => {
  const index = new ExperimentIndex(tempDir());
  const lines: string[] = [];
  const recorder = new RunRecorder(index, options, record("run", "a".repeat(64)), {
    replacing: false,
    log: (l) => lines.push(l),
  });
  await index.put(record("run", "c".repeat(64)));
  await assert.rejects(
    () => recorder.write("training"),
    /"run" was changed by another command while this one started \(it names train cccccccccccc now\)/,
  );
  await index.remove("run");
  await recorder.write("training");
  await index.rename("run", "renamed");
  await recorder.finish();
  assert.equal((await index.requireSingle("renamed")).status, "complete");
  assert.match(
    lines.join("\n"),
    /^train: "run" was renamed while it trained; this one is recorded as "renamed"$/,
  );
});
