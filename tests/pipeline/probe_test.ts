import assert from "node:assert/strict";
import {
  candidateTrainWords,
  frozenCommands,
  parseProbe,
  probeRecords,
  rankCandidates,
  selectionScore,
} from "../../lib/pipeline/probe.ts";
import type { ResultRecord } from "../../lib/pipeline/result_record.ts";
import { UserError } from "../../lib/util/errors.ts";

const probe = {
  name: "p",
  question: "which crop?",
  selectBy: "test-auc",
  base: ["--images", "imgs", "--protocol", "lfw-view1", "--val-pairs", "1000"],
  test: ["--train-eval-pairs", "0"],
  candidates: { a: ["--box", "1,2,3,4"], b: ["--box", "5,6,7,8"], c: ["--box", "9,9,19,19"] },
  then: { name: "v2", train: ["--protocol", "lfw-view2", "--val-pairs", "600"], test: [] },
};

function record(experiment: string, testAuc: number, valAuc: number, protocol = "lfw-view1") {
  return {
    id: `${experiment}@k`,
    experiment,
    protocol,
    metrics: {
      test: {
        pairs: 1000,
        accuracy: testAuc - 0.05,
        auc: testAuc,
        eer: 0.1,
        tarAtFar1: null,
        tarAtFar01: null,
      },
      val: {
        pairs: 1000,
        accuracy: valAuc - 0.05,
        auc: valAuc,
        eer: 0.1,
        tarAtFar1: null,
        tarAtFar01: null,
      },
    },
  } as unknown as ResultRecord;
}

Deno.test("a probe file is read, and one that would choose on View 2 is refused", () => {
  const parsed = parseProbe(JSON.stringify(probe), "p.json");
  assert.equal(parsed.selectBy, "test-auc");
  assert.deepEqual(Object.keys(parsed.candidates), ["a", "b", "c"]);
  const bad = (change: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => parseProbe(JSON.stringify({ ...probe, ...change }), "p.json"),
      (e) => e instanceof UserError && /p\.json/.test(e.message) && pattern.test(e.message),
    );
  bad({ base: ["--protocol", "lfw-view2"] }, /never on View 2's test folds/);
  bad({ selectBy: "view2-auc" }, /selectBy/);
  bad({ candidates: { a: [] } }, /two configurations/);
  bad({ candidates: { a: [], b: ["--protocol", "seed"] } }, /may not change --protocol/);
  bad({ base: "--protocol lfw-view1" }, /list of command-line words/);
  assert.throws(() => parseProbe("{", "p.json"), /p\.json is not JSON/);
});

Deno.test("candidates are ranked by the declared figure, ties by validation AUC", () => {
  const parsed = parseProbe(JSON.stringify(probe), "p.json");
  const records = new Map([
    ["a", record("a", 0.97, 0.98)],
    ["b", record("b", 0.98, 0.97)],
    ["c", record("c", 0.97, 0.99)],
  ]);
  assert.deepEqual(rankCandidates(parsed, records).map((r) => r.experiment), ["b", "c", "a"]);
  const byVal = { ...parsed, selectBy: "val-auc" as const };
  assert.deepEqual(rankCandidates(byVal, records).map((r) => r.experiment), ["c", "a", "b"]);
  assert.equal(selectionScore(records.get("a")!, "test-accuracy"), 0.97 - 0.05);
  records.delete("c");
  assert.throws(() => rankCandidates(parsed, records), /"c" has no result record/);
  records.set("c", record("c", 0.99, 0.99, "lfw-view2"));
  assert.throws(() => rankCandidates(parsed, records), /not measured on View 1/);
});

Deno.test("each candidate is ranked by the probe's own test, not by a later test made by hand", () => {
  const parsed = parseProbe(JSON.stringify(probe), "p.json");
  const made = (r: ResultRecord, chosenIn: string | undefined, createdAt: string) =>
    ({ ...r, chosenIn, createdAt }) as ResultRecord;
  const records = [
    made(record("a", 0.90, 0.91), "probe:p", "2026-12-07T17:00:00Z"),
    // The same candidate tested later by hand (say with --projection wccn): not the probe's.
    made(record("a", 0.99, 0.99), undefined, "2026-12-07T17:40:00Z"),
    // Tested for another probe that shares the candidate: not this probe's either.
    made(record("a", 0.98, 0.98), "probe:other", "2026-12-07T17:50:00Z"),
    made(record("b", 0.93, 0.92), "probe:p", "2026-12-07T16:00:00Z"),
    // A rerun of the probe's test rewrites its record: the latest of the probe's counts.
    made(record("b", 0.95, 0.96), "probe:p", "2026-12-07T18:00:00Z"),
    made(record("z", 0.99, 0.99), "probe:p", "2026-12-07T18:00:00Z"),
  ];
  const own = probeRecords(parsed, records);
  assert.deepEqual([...own.keys()].sort(), ["a", "b"]);
  assert.equal(own.get("a")!.metrics.test!.auc, 0.90);
  assert.equal(own.get("b")!.metrics.test!.auc, 0.95);
  own.set("c", record("c", 0.91, 0.90));
  assert.deepEqual(rankCandidates(parsed, own).map((r) => r.experiment), ["b", "c", "a"]);
});

Deno.test("the frozen run takes the winner's options, the shared ones and then's", () => {
  const parsed = parseProbe(JSON.stringify(probe), "p.json");
  assert.deepEqual(frozenCommands(parsed, "b"), {
    train: [[
      "v2",
      "--images",
      "imgs",
      "--box",
      "5,6,7,8",
      "--protocol",
      "lfw-view2",
      "--val-pairs",
      "600",
    ]],
    test: ["v2", "--chosen-by", "view1", "--chosen-in", "probe:p"],
  });
  assert.equal(frozenCommands({ ...parsed, then: undefined }, "b"), undefined);
});

Deno.test("the frozen run drops a candidate's time budget: over ten folds it would stop the run", () => {
  const parsed = parseProbe(JSON.stringify(probe), "p.json");
  const timed = {
    ...parsed,
    candidates: { ...parsed.candidates, b: ["--epochs", "44", "--time-budget", "25m"] },
  };
  assert.deepEqual(frozenCommands(timed, "b")!.train, [[
    "v2",
    "--images",
    "imgs",
    "--epochs",
    "44",
    "--protocol",
    "lfw-view2",
    "--val-pairs",
    "600",
  ]]);
});

const withEnsemble = {
  ...probe,
  candidates: { ...probe.candidates, ab: ["--members", "a,b"] },
};

Deno.test("an ensemble candidate: trained from earlier candidates without the shared options", () => {
  const parsed = parseProbe(JSON.stringify(withEnsemble), "p.json");
  assert.deepEqual(candidateTrainWords(parsed, "ab"), ["ab", "--members", "a,b"]);
  assert.deepEqual(candidateTrainWords(parsed, "a"), ["a", ...probe.base, "--box", "1,2,3,4"]);
  const refused = (candidates: Record<string, string[]>) =>
    assert.throws(
      () => parseProbe(JSON.stringify({ ...probe, candidates }), "p.json"),
      /p\.json: candidate "\w+": member "\w+" must be a single candidate declared before it/,
    );
  refused({ ab: ["--members", "a,b"], a: [], b: [] });
  refused({ a: [], ab: ["--members", "a,x"] });
  refused({ a: [], b: [], ab: ["--members", "a,b"], abc: ["--members", "ab,a"] });
});

Deno.test("an ensemble's frozen run freezes its members first, then the ensemble of them", () => {
  const parsed = parseProbe(JSON.stringify(withEnsemble), "p.json");
  const shared = ["--images", "imgs"], then = ["--protocol", "lfw-view2", "--val-pairs", "600"];
  assert.deepEqual(frozenCommands(parsed, "ab"), {
    train: [
      ["v2_a", ...shared, "--box", "1,2,3,4", ...then],
      ["v2_b", ...shared, "--box", "5,6,7,8", ...then],
      ["v2", "--members", "v2_a,v2_b"],
    ],
    test: ["v2", "--chosen-by", "view1", "--chosen-in", "probe:p"],
  });
});

Deno.test("every probe of probes/ parses, and each candidate's model (registered or composed) resolves", async () => {
  const { getModel } = await import("../../lib/model/registry.ts");
  const dir = new URL("../../probes/", import.meta.url);
  let count = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.name.endsWith(".json")) continue;
    const path = `probes/${entry.name}`;
    const declared = parseProbe(Deno.readTextFileSync(new URL(entry.name, dir)), path);
    for (const [name, options] of Object.entries(declared.candidates)) {
      const at = options.indexOf("--model");
      if (at >= 0) assert.ok(getModel(options[at + 1]).name, `${path}: ${name}`);
      assert.ok(candidateTrainWords(declared, name).length > 0, `${path}: ${name}`);
    }
    count++;
  }
  assert.ok(count >= 5, `${count} probes`);
});
