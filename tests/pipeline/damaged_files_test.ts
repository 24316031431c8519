/**
 * Damaged artifact files. A train artifact whose manifest is damaged is repaired from its intact,
 * self-checked checkpoint (no epoch trained again). Damage that keeps a file's size and time
 * (which the quick check trusts) is found when the file is read: a one-line error naming the file
 * and the repair, in test, compare, export, report and the tasks, not an internal error; a full
 * check (FACE_COMPARER_VERIFY=full) then repairs it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { testExperiment } from "../../lib/pipeline/test_stage.ts";
import { loadTrainImages } from "../../lib/pipeline/split_files.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { exportExperiment } from "../../lib/compare/export_experiment.ts";
import { loadExperimentData } from "../../lib/report/experiment_data.ts";
import { DamagedFileError } from "../../lib/util/damaged_file.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const lines: string[] = [];
const store = new ArtifactStore(tempDir(), {
  log: (l) => lines.push(l),
  warn: (l) => lines.push(l),
});
const index = new ExperimentIndex(store.root);
const testParams = { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 8, galleryPairs: 0 };

function options(name: string, epochs = 2) {
  const o = tinyTrainOptions(images, name, "seed");
  return { ...o, params: { ...o.params, epochs }, log: (l: string) => lines.push(l) };
}

/** Changes one byte of `path` in place, keeping its size and modification time. */
function damageKeepingSizeAndTime(path: string, at: (bytes: Uint8Array) => number, to = 0x23) {
  const { mtime, atime } = Deno.statSync(path);
  const bytes = Deno.readFileSync(path);
  const i = at(bytes);
  bytes[i] = bytes[i] === to ? to + 1 : to;
  Deno.writeFileSync(path, bytes);
  Deno.utimeSync(path, atime!, mtime!);
}

const withFullCheck = async <T>(fn: () => Promise<T>): Promise<T> => {
  Deno.env.set("FACE_COMPARER_VERIFY", "full");
  try {
    return await fn();
  } finally {
    Deno.env.delete("FACE_COMPARER_VERIFY");
  }
};

/** A DamagedFileError naming `file` and the full check as the repair. */
const damaged = (file: string) => (e: unknown) =>
  e instanceof DamagedFileError && e.path.endsWith(file) &&
  /FACE_COMPARER_VERIFY=full/.test(e.message) && /--force/.test(e.message) &&
  !e.message.includes("\n");

Deno.test("a damaged train manifest is repaired from the intact checkpoint: nothing is trained again", async () => {
  const first = await trainExperiment(store, options("manifest"));
  const checkpoint = Deno.readFileSync(join(first.artifact!.dir, "checkpoint.bin"));
  const history = Deno.readTextFileSync(join(first.artifact!.dir, "history.json"));
  Deno.writeTextFileSync(join(first.artifact!.dir, "manifest.json"), "{ damaged");
  lines.length = 0;
  const repaired = await trainExperiment(store, options("manifest"));
  assert.match(
    lines.join("\n"),
    /manifest is unreadable.*rebuilding it from its intact files \(checkpoint\.bin\)/,
  );
  assert.ok(!lines.some((l) => /^epoch \d/.test(l)), lines.join("\n"));
  assert.deepEqual(Deno.readFileSync(join(repaired.artifact!.dir, "checkpoint.bin")), checkpoint);
  assert.equal(Deno.readTextFileSync(join(repaired.artifact!.dir, "history.json")), history);
  assert.ok(await store.load("train", repaired.artifact!.key));
  // A manifest that parses but is not this artifact's is damage too.
  Deno.writeTextFileSync(join(repaired.artifact!.dir, "manifest.json"), "{}");
  assert.equal((await store.inspect("train", repaired.artifact!.key)).state, "damaged");
});

Deno.test("damage that keeps size and time: one line naming the file and the repair, in test, compare, export and report; a full check repairs it", async () => {
  const { artifact } = await trainExperiment(store, options("quiet"));
  await testExperiment(store, {
    name: "quiet",
    params: testParams,
    backend: "wasm",
    log: () => {},
  });
  const record = await index.requireSingle("quiet");
  const test = () =>
    testExperiment(store, {
      name: "quiet",
      params: testParams,
      backend: "wasm",
      force: true,
      log: () => {},
    });
  const compare = () => FaceComparer.open(store, "quiet", { backend: "wasm" });
  const exported = () =>
    exportExperiment(store, "quiet", { outDir: join(tempDir(), "out"), backend: "wasm" });

  // The checkpoint: its own checksum fails.
  const checkpoint = join(artifact!.dir, "checkpoint.bin");
  damageKeepingSizeAndTime(checkpoint, (b) => b.length - 3);
  await assert.rejects(test, damaged("checkpoint.bin"));
  await assert.rejects(compare, damaged("checkpoint.bin"));
  await assert.rejects(exported, damaged("checkpoint.bin"));
  // train trusts it ("cached") until a full check finds it and trains it again.
  lines.length = 0;
  await trainExperiment(store, options("quiet"));
  assert.ok(lines.some((l) => /train: cached/.test(l)), lines.join("\n"));
  await withFullCheck(() => trainExperiment(store, options("quiet")));
  (await compare()).dispose();

  // The split's pairs and the faces' index: not what they should be.
  const split = store.dirOf("split", record.keys.split);
  damageKeepingSizeAndTime(join(split, "pairs.json"), (b) => b.indexOf(0x5b)); // a "["
  await assert.rejects(test, damaged("pairs.json"));
  await assert.rejects(compare, damaged("pairs.json"));
  const prepared = store.dirOf("prepare", record.keys.prepare);
  damageKeepingSizeAndTime(join(prepared, "faces.json"), (b) => b.indexOf(0x5b));
  await withFullCheck(async () => {
    // The full check finds both and rebuilds them; every task works again.
    await trainExperiment(store, options("quiet"));
  });
  await test();
  (await compare()).dispose();
  damageKeepingSizeAndTime(join(prepared, "faces.json"), (b) => b.indexOf(0x5b));
  await assert.rejects(test, damaged("faces.json"));
  damageKeepingSizeAndTime(join(split, "train_images.json"), (b) => b.indexOf(0x5b));
  await assert.rejects(() => loadTrainImages(split), damaged("train_images.json"));

  // The task says it in one line (exit 1), not as an internal error.
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--unstable-webgpu",
      fileURLToPath(new URL("../../tasks/test.ts", import.meta.url)),
      "quiet",
      "--force",
      "--backend",
      "wasm",
    ],
    env: { FACE_COMPARER_ARTIFACTS: store.root, NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stderr).trim();
  assert.equal(code, 1, text);
  assert.match(text, /^test: error: .*faces\.json is damaged \(.*FACE_COMPARER_VERIFY=full/);
  assert.equal(text.split("\n").length, 1, text);
  await withFullCheck(() => trainExperiment(store, options("quiet")));
  await test();

  // The test's metrics and validation scores, which give compare its threshold and calibration.
  const testDir = store.dirOf("test", (await index.requireSingle("quiet")).keys.test!);
  for (const file of ["predictions.json", "metrics.json"]) {
    damageKeepingSizeAndTime(join(testDir, file), (b) => b.indexOf(0x7b)); // the "{"
    await assert.rejects(compare, damaged(file));
  }
});

Deno.test("an unfinished run's damaged history is a one-line error in the report; the next epoch rewrites it", async () => {
  const paused = await trainExperiment(store, { ...options("paused", 3), timeBudgetSeconds: 1e-6 });
  assert.equal(paused.epochsDone, 1);
  const history = join(paused.partialDir!, "history.json");
  damageKeepingSizeAndTime(history, (b) => b.indexOf(0x7b)); // a "{"
  await assert.rejects(
    () => loadExperimentData(store, "paused"),
    (e: unknown) =>
      e instanceof DamagedFileError && e.path === history &&
      /deno task train paused` rewrites it from the run's checkpoint/.test(e.message),
  );
  await trainExperiment(store, options("paused", 3));
  assert.equal((await loadExperimentData(store, "paused")).history.length, 3);
});
