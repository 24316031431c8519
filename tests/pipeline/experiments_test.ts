import assert from "node:assert/strict";
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
