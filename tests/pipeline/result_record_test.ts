import assert from "node:assert/strict";
import { join } from "node:path";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { testExperiment } from "../../lib/pipeline/test_stage.ts";
import {
  binomialError,
  isResultRecord,
  makeResultRecord,
  readResultRecords,
  type ResultRecord,
  resultsDir,
  saveResultRecord,
  trainCommand,
  trainingCurve,
  trainingSeconds,
} from "../../lib/pipeline/result_record.ts";
import type { Artifact } from "../../lib/pipeline/artifact_store.ts";
import {
  markdownTable,
  markedTable,
  replaceMarkedTable,
  TABLE_BEGIN,
  TABLE_END,
} from "../../lib/pipeline/results_table.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("test's result record holds the figures, options, code, machine and commands", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const tiny = tinyTrainOptions(images, "tiny", "seed");
  await trainExperiment(store, {
    ...tiny,
    params: { ...tiny.params, epochs: 2 },
    command: "deno task train tiny --model seed",
  });
  const artifact = await testExperiment(store, {
    name: "tiny",
    params: { ...TEST_DEFAULTS, trainEvalPairs: 16 },
    backend: "wasm",
    log: () => {},
  });
  const record = await makeResultRecord(store, "tiny", artifact, {
    testCommand: "deno task test tiny --chosen-by validation",
    chosenBy: "validation",
    testBackend: "wasm",
  });
  const metrics = JSON.parse(await Deno.readTextFile(join(artifact.dir, "metrics.json")));
  assert.equal(record.id, `tiny@${artifact.key.slice(0, 12)}`);
  assert.equal(record.model, "seed");
  assert.equal(record.protocol, "seed");
  assert.equal(record.kind, "single");
  assert.equal(record.chosenBy, "validation");
  assert.equal(record.headline.set, "test");
  assert.equal(record.headline.accuracy, metrics.sets.test.atThreshold.accuracy);
  assert.equal(record.headline.pairs, 16);
  assert.equal(record.metrics.val.auc, metrics.sets.val.auc);
  assert.equal(record.metrics.train.pairs, 16);
  assert.deepEqual(record.thresholds, [metrics.threshold]);
  assert.deepEqual(record.crop.box, [83, 92, 166, 175]);
  assert.equal(record.code.test, artifact.manifest.code.hash);
  assert.match(record.code.train[0], /^[0-9a-f]{64}$/);
  assert.ok(record.seconds.training > 0 && record.seconds.test > 0);
  assert.ok(record.machine.cores >= 1 && record.machine.memoryGiB > 0);
  assert.deepEqual(record.commands.train, ["deno task train tiny --model seed"]);
  assert.equal(record.commands.test, "deno task test tiny --chosen-by validation");
  // A network's curve: its validation figures after each epoch, at the minutes trained by then.
  const train = (await store.load(
    "train",
    (await new ExperimentIndex(store.root).requireSingle("tiny")).keys.train,
  ))!;
  const history = JSON.parse(await Deno.readTextFile(join(train.dir, "history.json")));
  assert.ok(history.length >= 2);
  assert.deepEqual(
    record.curve!.map((p) => p.epoch),
    history.map((e: { epoch: number }) => e.epoch),
  );
  assert.equal(
    record.curve!.at(-1)!.valAccuracy,
    Math.round(history.at(-1).valAccuracy * 1e4) / 1e4,
  );
  assert.ok(record.curve!.every((p, i) => i === 0 || p.minutes >= record.curve![i - 1].minutes));
  assert.ok(isResultRecord(record));

  const path = await saveResultRecord(store.root, record);
  assert.equal(path, join(resultsDir(store.root), `${record.id}.json`));
  const [read] = await readResultRecords(resultsDir(store.root));
  assert.deepEqual(read.record, record);
});

Deno.test("records that are damaged or of another kind are refused by name", async () => {
  const dir = tempDir();
  await Deno.writeTextFile(join(dir, "a.json"), '{"format": 1, "id": "x"}');
  await assert.rejects(
    () => readResultRecords(dir),
    (e) => e instanceof UserError && /a\.json/.test(e.message),
  );
  await Deno.writeTextFile(join(dir, "a.json"), "{");
  await assert.rejects(
    () => readResultRecords(dir),
    (e) => e instanceof UserError && /damaged/.test(e.message),
  );
  assert.deepEqual(await readResultRecords(join(dir, "missing")), []);
});

Deno.test("a train command is written from the options when none was recorded", () => {
  const command = trainCommand({
    name: "v1",
    createdAt: "",
    updatedAt: "",
    status: "complete",
    keys: { prepare: "p", split: "s", train: "t" },
    options: {
      images: "../shared/lfw/lfw-deepfunneled",
      prepare: { box: [62, 52, 188, 202], size: 100 },
      split: { protocol: "lfw-view1", valPairs: 1000, seed: 42 },
      train: { model: "fisher100_512_jb" },
    },
  });
  assert.equal(
    command,
    "deno task train v1 --model fisher100_512_jb --images ../shared/lfw/lfw-deepfunneled --protocol lfw-view1 --val-pairs 1000 --seed 42 --box 62,52,188,202 --size 100  # written from the recorded options",
  ); // A ten-fold record's options lack the crop: it is its folds'.
  const tenFold = trainCommand(
    {
      name: "v2",
      kind: "ten-fold",
      createdAt: "",
      updatedAt: "",
      status: "complete",
      folds: ["v2_fold1"],
      options: {
        images: "imgs",
        split: { protocol: "lfw-view2", valPairs: 600, seed: 42 },
        train: { model: "fisher100_512_jb" },
      },
    } as unknown as Parameters<typeof trainCommand>[0],
    { box: [62, 52, 188, 202], size: 100 },
  );
  assert.equal(
    tenFold,
    "deno task train v2 --model fisher100_512_jb --images imgs --protocol lfw-view2 --val-pairs 600 --seed 42 --box 62,52,188,202 --size 100  # written from the recorded options",
  );
});

Deno.test("binomial standard error", () => {
  assert.ok(Math.abs(binomialError(0.9, 1000) - 0.009487) < 1e-6);
  assert.ok(Number.isNaN(binomialError(0.9, 0)));
});

function fakeRecord(id: string, protocol: string, accuracy: number): ResultRecord {
  return {
    format: 1,
    id,
    experiment: id.split("@")[0],
    kind: protocol === "lfw-view2" ? "ten-fold" : "single",
    model: "fisher100_512_jb",
    protocol,
    folds: [],
    images: "x",
    crop: { box: [1, 2, 3, 4], size: 100, grey: true },
    options: { experiment: {}, test: {} },
    chosenBy: protocol === "lfw-view2" ? "view1" : "none",
    headline: { set: "test", accuracy, standardError: 0.01, auc: 0.97, pairs: 1000 },
    metrics: {},
    thresholds: [0.5],
    git: { commit: "0123456789abcdef", dirty: false },
    code: { train: ["a"], test: "b" },
    compute: { testBackend: "wasm" },
    machine: { cpu: "cpu", cores: 2, memoryGiB: 24, os: "linux", host: "h" },
    seconds: { training: 300, test: 60 },
    commands: { train: ["deno task train a"], test: "deno task test a" },
    createdAt: "2026-12-06T00:00:00Z",
  };
}

Deno.test("the Markdown table lists View 2 first, links each record and gives its commands", () => {
  const table = markdownTable([
    { path: "results/a.json", record: fakeRecord("a@1", "lfw-view1", 0.91) },
    { path: "results/b.json", record: fakeRecord("b@2", "lfw-view2", 0.92) },
  ]);
  const rows = table.split("\n").filter((l) => l.startsWith("| ["));
  assert.equal(rows.length, 2);
  assert.match(
    rows[0],
    /^\| \[b\]\(results\/b\.json\) \| `fisher100_512_jb` \| LFW View 2, ten folds \| 92\.00% \+- 1\.00 \| 0\.9700 \| View 1 \| 5\.0 min \| 1\.0 min \| 0123456 \|$/,
  );
  assert.match(rows[1], /LFW View 1/);
  assert.match(table, /- b: `deno task train a`, then `deno task test a`/);
  assert.equal(markdownTable([]), "_No result record is committed yet._");
});

Deno.test("the marked table is replaced between the markers and read back", () => {
  const doc = `# t\n\n${TABLE_BEGIN}\nold\n${TABLE_END}\n\nafter\n`;
  const updated = replaceMarkedTable(doc, "| new |");
  assert.equal(updated, `# t\n\n${TABLE_BEGIN}\n| new |\n${TABLE_END}\n\nafter\n`);
  assert.equal(markedTable(updated), "| new |");
  assert.throws(() => replaceMarkedTable("no markers", "x"), UserError);
  assert.equal(markedTable("no markers"), undefined);
});

Deno.test("a record's training time is its train artifact's, an ensemble's with its members'", () => {
  const artifact = (info: Record<string, number> | undefined, durationSeconds = 9) =>
    ({ manifest: { info, durationSeconds } }) as unknown as Artifact;
  assert.equal(trainingSeconds(artifact({ trainingSeconds: 300 })), 300);
  assert.equal(
    trainingSeconds(artifact({ trainingSeconds: 190, membersTrainingSeconds: 660 })),
    850,
  );
  assert.equal(trainingSeconds(artifact(undefined)), 9, "older artifacts: the stage's duration");
  assert.equal(trainingSeconds(undefined), 0);
});

Deno.test("a training curve: cumulative minutes per epoch; none for a one-pass fit", () => {
  const epoch = (n: number, seconds: number, valAccuracy: number, valAuc?: number) => ({
    epoch: n,
    trainLoss: 1,
    trainAccuracy: 0.5,
    valLoss: 1,
    valAccuracy,
    ...(valAuc === undefined ? {} : { valAuc }),
    seconds,
    pairsPerSecond: 100,
  });
  assert.equal(trainingCurve(undefined), undefined);
  assert.equal(trainingCurve([epoch(1, 300, 0.9)]), undefined);
  assert.deepEqual(trainingCurve([epoch(1, 60, 0.612345, 0.7), epoch(2, 90, 0.7)]), [
    { epoch: 1, minutes: 1, valAccuracy: 0.6123, valAuc: 0.7 },
    { epoch: 2, minutes: 2.5, valAccuracy: 0.7 },
  ]);
});
