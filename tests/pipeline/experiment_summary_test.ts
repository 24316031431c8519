import assert from "node:assert/strict";
import { differingParams, flattenOptions } from "../../lib/pipeline/experiment_summary.ts";
import type { ExperimentSummary } from "../../lib/pipeline/experiment_summary.ts";

Deno.test("options flatten to dotted names; arrays stay values; undefined is dropped", () => {
  assert.deepEqual(
    flattenOptions({ train: { adam: { lr: 1 }, epochs: 2 }, box: [1, 2], load: undefined }),
    { "train.adam.lr": 1, "train.epochs": 2, box: [1, 2] },
  );
});

Deno.test("differing parameters: only names whose values differ, missing counts as different", () => {
  const s = (params: Record<string, unknown>) => ({ params }) as unknown as ExperimentSummary;
  assert.deepEqual(
    differingParams([s({ a: 1, b: [1, 2], c: 3 }), s({ a: 1, b: [1, 3] }), s({ a: 1, b: [1, 2] })]),
    ["b", "c"],
  );
});
