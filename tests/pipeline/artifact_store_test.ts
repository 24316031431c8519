import assert from "node:assert/strict";
import { join } from "node:path";
import { ArtifactStore, stageKey } from "../../lib/pipeline/artifact_store.ts";
import { tempDir } from "../helpers/fixtures.ts";

function quietStore(root: string) {
  const lines: string[] = [];
  const store = new ArtifactStore(root, { log: (l) => lines.push(l), warn: (l) => lines.push(l) });
  return { store, lines };
}

const spec = { stage: "demo", version: 1, params: { a: 1, b: [1, 2] }, inputs: { x: "k1" } };
const write = (text: string) => async (dir: string) => {
  await Deno.writeTextFile(join(dir, "out.txt"), text);
  return { wrote: text };
};

Deno.test("the key depends on every part of the spec, not on key order", async () => {
  const k = await stageKey(spec);
  assert.equal(await stageKey({ ...spec, params: { b: [1, 2], a: 1 } }), k);
  for (
    const other of [{ ...spec, version: 2 }, { ...spec, params: { a: 2, b: [1, 2] } }, {
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

Deno.test("a tampered or truncated output is detected and rebuilt with a warning", async () => {
  const { store, lines } = quietStore(tempDir());
  const { artifact } = await store.ensure(spec, write("hello"));
  Deno.writeTextFileSync(join(artifact.dir, "out.txt"), "jello");
  const rebuilt = await store.ensure(spec, write("hello"));
  assert.equal(rebuilt.cached, false);
  assert.match(lines.join("\n"), /warning: .* wrong hash; rebuilding/);
  Deno.writeTextFileSync(join(artifact.dir, "out.txt"), "hel");
  assert.equal((await store.ensure(spec, write("hello"))).cached, false);
  assert.match(lines.join("\n"), /of 3 bytes, expected 5/);
  assert.equal((await store.ensure(spec, write("hello"))).cached, true);
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
