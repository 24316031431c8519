import assert from "node:assert/strict";
import { join } from "node:path";
import { ExperimentIndex, type ExperimentRecord } from "../../lib/pipeline/experiments.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

const record = (name: string): ExperimentRecord => ({
  name,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
  status: "training",
  keys: { prepare: "p", split: "s", train: "t" },
  options: { epochs: 2 },
});

Deno.test("the experiment index stores, lists and finds records by name", async () => {
  const index = new ExperimentIndex(tempDir());
  assert.deepEqual(await index.names(), []);
  await assert.rejects(
    () => index.require("exp1"),
    /unknown experiment "exp1" \(none trained yet\)/,
  );
  await index.put(record("exp2"));
  await index.put(record("exp1"));
  assert.deepEqual(await index.names(), ["exp1", "exp2"]);
  assert.deepEqual(await index.get("exp1"), record("exp1"));
  await assert.rejects(() => index.require("nope"), /known: exp1, exp2/);
});

Deno.test("invalid experiment names are refused before touching the disk", async () => {
  const index = new ExperimentIndex(tempDir());
  await assert.rejects(() => index.get("../etc"), UserError);
  await assert.rejects(() => index.put(record("a b")), UserError);
});

Deno.test("record changes are read-modify-writes of the newest record under its lock: concurrent changes all count", async () => {
  const index = new ExperimentIndex(tempDir());
  await index.put(record("exp1"));
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      index.update("exp1", async (current) => {
        const r = current as ExperimentRecord;
        await new Promise((resolve) => setTimeout(resolve, i % 3)); // interleave the calls
        return { ...r, options: { ...r.options, [`change${i}`]: true } };
      })),
  );
  const options = (await index.get("exp1"))!.options;
  for (let i = 0; i < 20; i++) assert.equal(options[`change${i}`], true, `change ${i} lost`);
  // No change: nothing written.
  assert.deepEqual(await index.update("exp1", () => undefined), await index.get("exp1"));
});

Deno.test("a record lock of a dead process is taken over with a warning; a live holder is waited for", async () => {
  const root = tempDir();
  const warnings: string[] = [];
  const index = new ExperimentIndex(root, { warn: (l) => warnings.push(l) });
  await index.put(record("exp1"));
  const lock = join(root, "experiments", "exp1.lock");
  Deno.writeTextFileSync(lock, JSON.stringify({ pid: 999_999_999, since: "then" }));
  await index.update("exp1", (r) => ({ ...r!, status: "complete" }));
  assert.match(warnings.join("\n"), /removing the stale lock .*exp1\.lock of process 999999999/);
  assert.equal((await index.get("exp1"))?.status, "complete");
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    Deno.writeTextFileSync(lock, JSON.stringify({ pid: sleeper.pid, since: "now" }));
    let done = false;
    const waiting = index.update("exp1", (r) => ({ ...r!, status: "training" })).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(done, false);
    Deno.removeSync(lock);
    await waiting;
    assert.equal((await index.get("exp1"))?.status, "training");
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
  assert.throws(() => Deno.statSync(lock), Deno.errors.NotFound);
});

Deno.test("a run's record is found where it is now: renamed, or gone", async () => {
  const index = new ExperimentIndex(tempDir());
  await index.put(record("exp1"));
  await index.rename("exp1", "exp2");
  const done = (r: ExperimentRecord): ExperimentRecord => ({ ...r, status: "complete" });
  assert.deepEqual(await index.updateRun("exp1", "t", done), ["exp2"]);
  assert.equal((await index.get("exp2"))?.status, "complete");
  assert.equal(await index.get("exp1"), undefined);
  assert.equal((await index.remove("exp2")).name, "exp2");
  assert.deepEqual(await index.updateRun("exp1", "t", done), []);
  assert.deepEqual(await index.names(), []);
  await assert.rejects(() => index.remove("exp2"), /unknown experiment "exp2"/);
});
