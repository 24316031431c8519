import assert from "node:assert/strict";
import {
  ACCURACY_GOALS,
  bestFor,
  fitMinutes,
  goalsMarkdown,
  meetsConditions,
} from "../../lib/pipeline/goals_table.ts";
import type { ResultRecord, StoredResult } from "../../lib/pipeline/result_record.ts";

function record(
  name: string,
  change: Partial<ResultRecord> & { accuracy: number; minutes: number },
): StoredResult {
  const { accuracy, minutes, ...rest } = change;
  const r = {
    id: `${name}@k`,
    experiment: name,
    kind: "single",
    model: "fisher100_512_jb",
    protocol: "lfw-view1",
    folds: [],
    chosenBy: "none",
    headline: { set: "test", accuracy, standardError: 0.008, auc: 0.98, pairs: 1000 },
    seconds: { training: minutes * 60, test: 60 },
    ...rest,
  } as unknown as ResultRecord;
  return { path: `results/${name}.json`, record: r };
}

const [view2, view1, fiveMinutes, network] = ACCURACY_GOALS;

Deno.test("a ten-fold record counts per fold, only when its design was chosen blind", () => {
  const tenFold = (chosenBy: string, minutes: number) =>
    record("v2", {
      kind: "ten-fold",
      protocol: "lfw-view2",
      folds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      chosenBy: chosenBy as ResultRecord["chosenBy"],
      accuracy: 0.93,
      minutes,
    }).record;
  assert.equal(fitMinutes(tenFold("view1", 250)), 25);
  assert.ok(meetsConditions(tenFold("view1", 250), view2));
  assert.ok(meetsConditions(tenFold("validation", 250), view2));
  assert.ok(!meetsConditions(tenFold("view2-test", 250), view2), "chosen on View 2's test folds");
  assert.ok(!meetsConditions(tenFold("view1", 350), view2), "35 min a fold");
  assert.ok(!meetsConditions(tenFold("view1", 250), view1), "another protocol");
});

Deno.test("each goal takes the most accurate record that meets its conditions", () => {
  const results = [
    record("slow", { accuracy: 0.935, minutes: 12 }),
    record("fast", { accuracy: 0.915, minutes: 4.5 }),
    record("faster", { accuracy: 0.90, minutes: 2 }),
    record("cnn", { model: "seed64_cosface", accuracy: 0.885, minutes: 55 }),
    record("cnn_long", { model: "seed64_cosface", accuracy: 0.95, minutes: 70 }),
  ];
  // The networks' 55 and 70 minutes are past View 1's 30.
  assert.equal(bestFor(view1, results)?.record.experiment, "slow");
  assert.equal(bestFor(fiveMinutes, results)?.record.experiment, "fast");
  // Only a network counts for the network's goal, and only within its hour.
  assert.equal(bestFor(network, results)?.record.experiment, "cnn");
  assert.equal(bestFor(view2, results), undefined);
});

Deno.test("the goals table: one row per goal, its record, figure, time and whether it is reached", () => {
  const table = goalsMarkdown([
    record("fast", { accuracy: 0.931, minutes: 4.5 }),
    record("cnn", { model: "seed64_cosface", accuracy: 0.885, minutes: 55 }),
  ]);
  const rows = table.split("\n").slice(2);
  assert.equal(rows.length, ACCURACY_GOALS.length);
  assert.equal(
    rows[0],
    "| View 2, ten folds, design chosen blind | 94.00% | 30 min a fold | none | - | - | no |",
  );
  assert.equal(
    rows[2],
    "| View 1 within 5 minutes of fitting | 93.00% | 5 min | [fast](results/fast.json) (`fisher100_512_jb`) | 93.10% +- 0.80 | 4.5 min | yes |",
  );
  assert.match(
    rows[3],
    /^\| a network alone, View 1 \| 91\.00% \| 60 min \| \[cnn\].* \| 88\.50% \+- 0\.80 \| 55\.0 min \| no \|$/,
  );
});
