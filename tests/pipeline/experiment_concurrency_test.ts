/**
 * Two commands touching one experiment at once, as two `deno task` processes on one artifact
 * folder: the first trains and is held still (SIGSTOP) after its first epoch while the second
 * runs to its end, then goes on (SIGCONT). Neither undoes what the other wrote to the record, a
 * command refused by the training's lock writes nothing, and `clean` keeps the work.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExperimentRecord } from "../../lib/pipeline/experiments.ts";
import { tempDir, writePgmFolder } from "../helpers/fixtures.ts";

const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const root = tempDir();

/** A tiny seed model's options: a few epochs of about a second each. */
const DATA = [
  "--images",
  images,
  "--train-pairs",
  "48",
  "--val-pairs",
  "16",
  "--test-pairs",
  "16",
  "--batch-size",
  "16",
  "--model",
  "seed",
  "--backend",
  "wasm",
];

function spawn(task: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--unstable-webgpu",
      fileURLToPath(new URL(`../../tasks/${task}.ts`, import.meta.url)),
      ...args,
    ],
    env: { FACE_COMPARER_ARTIFACTS: root, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a task to its end. */
async function run(task: string, args: string[]) {
  const { code, stdout, stderr } = await spawn(task, args).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

/**
 * Starts `train NAME ...` and holds it still once its first epoch is done (its record written,
 * its lock held); `resume()` lets it go on and returns its output when it ends.
 */
async function trainHeld(name: string, args: string[]) {
  const child = spawn("train", [name, ...DATA, ...args]);
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!/^epoch 1\/\d+:/m.test(stdout)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`train ${name} ended early:\n${stdout}\n${await stderr}`);
    stdout += value;
  }
  child.kill("SIGSTOP");
  return {
    pid: child.pid,
    async resume() {
      child.kill("SIGCONT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += value;
      }
      const { code } = await child.status;
      return { code, stdout, stderr: await stderr };
    },
  };
}

const recordPath = (name: string) => join(root, "experiments", `${name}.json`);
const record = (name: string): ExperimentRecord =>
  JSON.parse(Deno.readTextFileSync(recordPath(name)));
const exists = (path: string) => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};
const names = () =>
  [...Deno.readDirSync(join(root, "experiments"))].map((e) => e.name).filter((n) =>
    n.endsWith(".json")
  ).map((n) => n.slice(0, -5)).sort();

Deno.test("train --force while the first run trains: the name keeps the new run; the first is kept, completed, and clean keeps both", async () => {
  const first = await trainHeld("race", ["--epochs", "3"]);
  let firstKey: string;
  try {
    firstKey = record("race").keys.train;
    const second = await run("train", ["race", ...DATA, "--epochs", "1", "--seed", "9", "--force"]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /the earlier "race" \(.*\) is kept as "race_before_/);
  } finally {
    const ended = await first.resume();
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(
      ended.stdout,
      /"race" names another run now; this one is recorded as "race_before_/,
    );
  }
  const now = record("race");
  assert.notEqual(now.keys.train, firstKey);
  assert.equal(now.status, "complete");
  const kept = names().filter((n) => n.startsWith("race_before_"));
  assert.equal(kept.length, 1);
  assert.equal(record(kept[0]).keys.train, firstKey);
  assert.equal(record(kept[0]).status, "complete");
  const clean = await run("clean", ["--yes"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.ok(exists(join(root, "train", firstKey)), clean.stdout);
  assert.ok(exists(join(root, "train", now.keys.train)), clean.stdout);
});

Deno.test("experiments mv and rm while the run trains are not undone when it ends", async () => {
  const moved = await trainHeld("mover", ["--epochs", "2"]);
  const gone = await trainHeld("goner", ["--epochs", "2", "--seed", "5"]);
  let key: string;
  try {
    key = record("mover").keys.train;
    const mv = await run("experiments", ["mv", "mover", "moved"]);
    assert.equal(mv.code, 0, mv.stderr);
    const rm = await run("experiments", ["rm", "goner"]);
    assert.equal(rm.code, 0, rm.stderr);
  } finally {
    for (const held of [moved, gone]) {
      const ended = await held.resume();
      assert.equal(ended.code, 0, ended.stderr);
    }
  }
  assert.ok(!exists(recordPath("mover")));
  assert.equal(record("moved").keys.train, key);
  assert.equal(record("moved").status, "complete");
  assert.ok(!exists(recordPath("goner")));
});

Deno.test("a test during training keeps its result in the record the training ends with", async () => {
  const held = await trainHeld("tested", ["--epochs", "2", "--seed", "6"]);
  let testKey: string | undefined;
  try {
    const test = await run("test", ["tested", "--train-eval-pairs", "8", "--backend", "wasm"]);
    assert.equal(test.code, 0, test.stderr);
    testKey = record("tested").keys.test;
    assert.ok(testKey);
  } finally {
    const ended = await held.resume();
    assert.equal(ended.code, 0, ended.stderr);
  }
  assert.equal(record("tested").status, "complete");
  assert.equal(record("tested").keys.test, testKey);
  const clean = await run("clean", []);
  assert.doesNotMatch(clean.stdout, new RegExp(testKey!));
});

Deno.test("a train refused by the training's lock writes nothing", async () => {
  const held = await trainHeld("locked", ["--epochs", "2", "--seed", "8"]);
  try {
    const before = Deno.readTextFileSync(recordPath("locked"));
    const listed = names();
    for (const extra of [[], ["--force"]]) {
      const again = await run("train", [
        "locked",
        ...DATA,
        "--epochs",
        "2",
        "--seed",
        "8",
        ...extra,
      ]);
      assert.equal(again.code, 1, again.stdout);
      assert.match(again.stderr, new RegExp(`being built by process ${held.pid}`));
      assert.equal(again.stderr.trim().split("\n").length, 1, again.stderr);
      assert.equal(Deno.readTextFileSync(recordPath("locked")), before);
      assert.deepEqual(names(), listed);
    }
  } finally {
    const ended = await held.resume();
    assert.equal(ended.code, 0, ended.stderr);
  }
  assert.equal(record("locked").status, "complete");
});
