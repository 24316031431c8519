import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const toFileUrl = (path: string) => pathToFileURL(path) as URL;
import { ArtifactStore, stageKey } from "../../lib/pipeline/artifact_store.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

function quietStore(root: string) {
  const lines: string[] = [];
  const store = new ArtifactStore(root, { log: (l) => lines.push(l), warn: (l) => lines.push(l) });
  return { store, lines };
}

// The stage's code: a module of its own that imports another, so the test can change either.
const codeDir = tempDir();
Deno.writeTextFileSync(
  join(codeDir, "stage.ts"),
  'import { f } from "./helper.ts";\nexport const g = f;\n',
);
Deno.writeTextFileSync(join(codeDir, "helper.ts"), "export const f = 1;\n");
const code = [toFileUrl(join(codeDir, "stage.ts"))];
const spec = { stage: "demo", code, params: { a: 1, b: [1, 2] }, inputs: { x: "k1" } };
const write = (text: string) => async (dir: string) => {
  await Deno.writeTextFile(join(dir, "out.txt"), text);
  return { wrote: text };
};

Deno.test("the key depends on every part of the spec, not on key order", async () => {
  const k = await stageKey(spec);
  assert.equal(await stageKey({ ...spec, params: { b: [1, 2], a: 1 } }), k);
  for (
    const other of [{ ...spec, code: [] }, { ...spec, params: { a: 2, b: [1, 2] } }, {
      ...spec,
      inputs: { x: "k2" },
    }, { ...spec, stage: "other" }]
  ) {
    assert.notEqual(await stageKey(other), k);
  }
});

Deno.test("a second ensure is cached; force rebuilds", async () => {
  const { store, lines } = quietStore(tempDir());
  let runs = 0;
  const produce = async (dir: string) => {
    runs++;
    return await write("hello")(dir);
  };
  const first = await store.ensure(spec, produce);
  assert.equal(first.cached, false);
  assert.equal(Deno.readTextFileSync(join(first.artifact.dir, "out.txt")), "hello");
  assert.equal(first.artifact.manifest.files["out.txt"].bytes, 5);
  assert.deepEqual(first.artifact.manifest.info, { wrote: "hello" });
  const second = await store.ensure(spec, produce);
  assert.equal(second.cached, true);
  assert.equal(runs, 1);
  assert.match(lines.join("\n"), /demo: running[\s\S]*demo: cached/);
  await store.ensure(spec, produce, { force: true });
  assert.equal(runs, 2);
});

Deno.test("an interrupted build leaves nothing that is reused", async () => {
  const root = tempDir();
  const { store } = quietStore(root);
  await assert.rejects(() =>
    store.ensure(spec, async (dir) => {
      await Deno.writeTextFile(join(dir, "out.txt"), "half");
      throw new Error("killed");
    })
  );
  const key = await stageKey(spec);
  assert.equal(await store.load("demo", key), undefined);
  // A process killed mid-rename could leave a final folder without a manifest: not trusted.
  Deno.mkdirSync(store.dirOf("demo", key), { recursive: true });
  Deno.writeTextFileSync(join(store.dirOf("demo", key), "out.txt"), "half");
  const again = await store.ensure(spec, write("whole"));
  assert.equal(again.cached, false);
  assert.equal(Deno.readTextFileSync(join(again.artifact.dir, "out.txt")), "whole");
  assert.deepEqual([...Deno.readDirSync(join(root, "demo"))].map((e) => e.name), [key]);
});

Deno.test("a tampered output is reported by load, left in place, and rebuilt only by ensure", async () => {
  const { store, lines } = quietStore(tempDir());
  const { artifact } = await store.ensure(spec, write("hello"));
  Deno.writeTextFileSync(join(artifact.dir, "out.txt"), "jello");
  // Reading never deletes: the error names the file and both hashes, the file stays.
  await assert.rejects(
    () => store.load("demo", artifact.key),
    (e: Error) =>
      e instanceof UserError && /out\.txt has sha256 [0-9a-f]{12}\.\.\., expected/.test(e.message),
  );
  assert.equal(Deno.readTextFileSync(join(artifact.dir, "out.txt")), "jello");
  const found = await store.inspect("demo", artifact.key);
  assert.equal(found.state, "damaged");
  const rebuilt = await store.ensure(spec, write("hello"));
  assert.equal(rebuilt.cached, false);
  assert.match(lines.join("\n"), /warning: .* is damaged \(out\.txt has sha256/);
  Deno.writeTextFileSync(join(artifact.dir, "out.txt"), "hel");
  assert.equal((await store.ensure(spec, write("hello"))).cached, false);
  assert.match(lines.join("\n"), /out\.txt has 3 bytes, expected 5/);
  assert.equal((await store.ensure(spec, write("hello"))).cached, true);
  // Nothing is left behind beside the rebuilt artifact.
  assert.deepEqual(
    [...Deno.readDirSync(join(store.root, "demo"))].map((e) => e.name),
    [artifact.key],
  );
});

Deno.test("a cached file is trusted by size and time; FACE_COMPARER_VERIFY=full re-hashes it", async () => {
  const { store } = quietStore(tempDir());
  const { artifact } = await store.ensure(spec, write("hello"));
  const path = join(artifact.dir, "out.txt");
  const record = artifact.manifest.files["out.txt"];
  assert.equal(Deno.statSync(path).mtime?.getTime(), record.mtimeMs);
  // A same-size change written at once is caught: the stamp lies a second in the past.
  Deno.writeTextFileSync(path, "jello");
  assert.equal((await store.inspect("demo", artifact.key)).state, "damaged");
  // Only a change that also puts the time back escapes the cheap check, not the full one.
  Deno.utimeSync(path, record.mtimeMs! / 1000, record.mtimeMs! / 1000);
  assert.equal((await store.inspect("demo", artifact.key)).state, "ok");
  Deno.env.set("FACE_COMPARER_VERIFY", "full");
  try {
    assert.equal((await store.inspect("demo", artifact.key)).state, "damaged");
  } finally {
    Deno.env.delete("FACE_COMPARER_VERIFY");
  }
});

Deno.test("a resumable rebuild starts from the damaged artifact's intact files", async () => {
  const { store } = quietStore(tempDir());
  const produce = async (dir: string) => {
    // A resumable producer: the expensive file is reused when present.
    let expensive = "computed once";
    try {
      expensive = Deno.readTextFileSync(join(dir, "model.bin")) + " (reused)";
    } catch { /* first run */ }
    await Deno.writeTextFile(join(dir, "model.bin"), expensive.replace(" (reused)", ""));
    await Deno.writeTextFile(join(dir, "log.csv"), "epoch 1");
    return { expensive };
  };
  const { artifact } = await store.ensure(spec, produce, { resumable: true });
  Deno.writeTextFileSync(join(artifact.dir, "log.csv"), "epoch 1\nextra line\n");
  const repaired = await store.ensure(spec, produce, { resumable: true });
  assert.equal(repaired.artifact.manifest.info.expensive, "computed once (reused)");
  assert.equal(Deno.readTextFileSync(join(repaired.artifact.dir, "log.csv")), "epoch 1");
  assert.ok(await store.load("demo", artifact.key));
});

Deno.test("with its manifest unreadable, a resumable rebuild keeps only the files that check themselves", async () => {
  const { store, lines } = quietStore(tempDir());
  const seen: string[][] = [];
  const produce = async (dir: string) => {
    seen.push([...Deno.readDirSync(dir)].map((e) => e.name).sort());
    await Deno.writeTextFile(join(dir, "model.bin"), "weights");
    await Deno.writeTextFile(join(dir, "log.csv"), "epoch 1");
    return {};
  };
  const { artifact } = await store.ensure(spec, produce, { resumable: true });
  Deno.writeTextFileSync(join(artifact.dir, "manifest.json"), "{ not json");
  await store.ensure(spec, produce, { resumable: true, selfChecking: ["model.bin"] });
  assert.deepEqual(seen, [[], ["model.bin"]]);
  assert.match(lines.join("\n"), /manifest is unreadable .*from its intact files \(model\.bin\)/);
  assert.ok(await store.load("demo", artifact.key));
});

Deno.test("a resumable build keeps its work folder but drops half-written temporaries", async () => {
  const { store } = quietStore(tempDir());
  const key = await stageKey(spec);
  await assert.rejects(() =>
    store.ensure(spec, async (dir) => {
      await Deno.writeTextFile(join(dir, "progress.txt"), "epoch 1");
      await Deno.writeTextFile(join(dir, ".abc.tmp"), "half");
      throw new Error("killed");
    }, { resumable: true })
  );
  const partial = store.partialDirOf("demo", key);
  assert.equal(Deno.readTextFileSync(join(partial, "progress.txt")), "epoch 1");
  const { artifact } = await store.ensure(spec, (dir) => {
    assert.equal(Deno.readTextFileSync(join(dir, "progress.txt")), "epoch 1");
    return Promise.resolve({});
  }, { resumable: true });
  assert.deepEqual(Object.keys(artifact.manifest.files), ["progress.txt"]);
});

Deno.test("temporary folders of killed builds of a key are removed by its next build", async () => {
  const { store } = quietStore(tempDir());
  const key = await stageKey(spec);
  const stale = join(store.root, "demo", `.${key}.deadbeef.tmp`);
  Deno.mkdirSync(stale, { recursive: true });
  Deno.writeTextFileSync(join(stale, "big.bin"), "x".repeat(1000));
  const unrelated = join(store.root, "demo", ".otherkey.cafe.tmp");
  Deno.mkdirSync(unrelated);
  await store.ensure(spec, write("hello"));
  assert.throws(() => Deno.statSync(stale), Deno.errors.NotFound);
  assert.ok(Deno.statSync(unrelated).isDirectory);
});

Deno.test("one writer per artifact: a live lock holder is named; a dead one's lock is taken over", async () => {
  const { store, lines } = quietStore(tempDir());
  const key = await stageKey(spec);
  Deno.mkdirSync(join(store.root, "demo"), { recursive: true });
  const lockPath = join(store.root, "demo", `${key}.lock`);
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    Deno.writeTextFileSync(lockPath, JSON.stringify({ pid: sleeper.pid, since: "then" }));
    await assert.rejects(
      () => store.ensure(spec, write("hello")),
      (e: Error) =>
        e instanceof UserError &&
        new RegExp(`being built by process ${sleeper.pid} \\(since then\\)`).test(e.message),
    );
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
  // The holder is gone now: its lock is stale.
  const { artifact } = await store.ensure(spec, write("hello"));
  assert.equal(Deno.readTextFileSync(join(artifact.dir, "out.txt")), "hello");
  assert.match(lines.join("\n"), /removing the stale lock/);
  assert.throws(() => Deno.statSync(lockPath), Deno.errors.NotFound);
});

Deno.test("one writer per artifact within one process too; a refused build runs no start hook", async () => {
  const { store } = quietStore(tempDir());
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const started: string[] = [];
  const first = store.ensure(spec, async (dir) => {
    await held;
    return await write("first")(dir);
  }, { started: () => Promise.resolve(void started.push("first")) });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(
    () =>
      store.ensure(spec, write("second"), {
        started: () => Promise.resolve(void started.push("second")),
      }),
    new RegExp(`being built by process ${Deno.pid}`),
  );
  release();
  const { artifact } = await first;
  assert.equal(Deno.readTextFileSync(join(artifact.dir, "out.txt")), "first");
  assert.deepEqual(started, ["first"]);
});

Deno.test("the key follows the code: an edit to an imported module gives a new key", async () => {
  const dir = tempDir();
  Deno.writeTextFileSync(join(dir, "entry.ts"), 'export * from "./dep.ts";\n');
  Deno.writeTextFileSync(join(dir, "dep.ts"), "export const x = 1;\n");
  const entry = [toFileUrl(join(dir, "entry.ts"))];
  const { codeFingerprint } = await import("../../lib/pipeline/code_fingerprint.ts");
  const first = await codeFingerprint(entry);
  assert.deepEqual(Object.keys(first.files).length, 2);
  const before = await stageKey({ ...spec, code: entry });
  // The fingerprint is cached per process (code does not change under a running program), so
  // the changed tree is read through a second entry list naming the same modules.
  Deno.writeTextFileSync(join(dir, "dep.ts"), "export const x = 2;\n");
  const again = [...entry, toFileUrl(join(dir, "dep.ts"))];
  assert.notEqual(await stageKey({ ...spec, code: again }), before);
});

Deno.test("the project's train stage code covers its workers and the native kernels", async () => {
  const { codeFingerprint } = await import("../../lib/pipeline/code_fingerprint.ts");
  const { stageCode } = await import("../../lib/pipeline/stages.ts");
  const { getModel } = await import("../../lib/model/registry.ts");
  const files = Object.keys(
    (await codeFingerprint(stageCode("train", [getModel("seed")]).parts)).files,
  );
  for (
    const f of [
      "lib/train/branch_worker.ts",
      "lib/train/batch_worker.ts",
      "lib/train/trainer.ts",
      "lib/train/objective.ts",
    ]
  ) {
    assert.ok(files.includes(f), `${f} missing from ${files.join(", ")}`);
  }
});

Deno.test("an artifact root that is a file is a user error naming FACE_COMPARER_ARTIFACTS", () => {
  const file = join(tempDir(), "not_a_folder");
  Deno.writeTextFileSync(file, "x");
  assert.throws(
    () => new ArtifactStore(file),
    (e: Error) => e instanceof UserError && /is a file \(FACE_COMPARER_ARTIFACTS/.test(e.message),
  );
});
