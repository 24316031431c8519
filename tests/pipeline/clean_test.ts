import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { findGarbage, removeGarbage } from "../../lib/pipeline/clean.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { tempDir } from "../helpers/fixtures.ts";

function artifact(root: string, stage: string, key: string, inputs: Record<string, string> = {}) {
  const dir = join(root, stage, key);
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(join(dir, "manifest.json"), JSON.stringify({ inputs }));
  Deno.writeTextFileSync(join(dir, "data.bin"), "x".repeat(1000));
}

Deno.test("clean finds what no experiment refers to, keeps inputs and live builds, removes only with --yes", async () => {
  const root = tempDir();
  const store = new ArtifactStore(root, { log: () => {}, warn: () => {} });
  artifact(root, "prepare", "p1");
  artifact(root, "split", "s1", { faces: "p1" });
  artifact(root, "train", "t0", { faces: "p1", split: "s1" }); // a --load source
  artifact(root, "train", "t1", { faces: "p1", split: "s1", init: "t0" });
  artifact(root, "test", "x1", { train: "t1" });
  artifact(root, "train", "old"); // retrained away
  Deno.mkdirSync(join(root, "train", "gone.partial"));
  Deno.writeTextFileSync(join(root, "train", "dead.lock"), JSON.stringify({ pid: 999_999_999 }));
  Deno.mkdirSync(join(root, "prepare", ".p9.abcd.tmp"));
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    Deno.mkdirSync(join(root, "train", "live.partial"));
    Deno.writeTextFileSync(join(root, "train", "live.lock"), JSON.stringify({ pid: sleeper.pid }));
    await new ExperimentIndex(root).put({
      name: "exp",
      createdAt: "",
      updatedAt: "",
      status: "complete",
      keys: { prepare: "p1", split: "s1", train: "t1", test: "x1" },
      options: {},
    });
    const garbage = await findGarbage(store);
    assert.deepEqual(garbage.map((g) => g.path).sort(), [
      "prepare/.p9.abcd.tmp",
      "train/dead.lock",
      "train/gone.partial",
      "train/old",
    ]);
    assert.ok(garbage.find((g) => g.path === "train/old")!.bytes > 1000);
    // Listing changes nothing.
    assert.ok(Deno.statSync(join(root, "train", "old")).isDirectory);
    await removeGarbage(store, garbage);
    assert.deepEqual(await findGarbage(store), []);
    for (
      const kept of [
        "prepare/p1",
        "split/s1",
        "train/t0",
        "train/t1",
        "test/x1",
        "train/live.partial",
      ]
    ) {
      assert.ok(Deno.statSync(join(root, kept)).isDirectory, kept);
    }
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
});

Deno.test("an unfinished run no record names, trained after the newest record, is marked to be asked for", async () => {
  const root = tempDir();
  const store = new ArtifactStore(root, { log: () => {}, warn: () => {} });
  const index = new ExperimentIndex(root);
  for (const name of ["old", "new"]) {
    Deno.mkdirSync(join(root, "train", `${name}.partial`), { recursive: true });
    Deno.writeTextFileSync(join(root, "train", `${name}.partial`, "checkpoint.bin"), "x");
  }
  await index.put({
    name: "exp",
    createdAt: "",
    updatedAt: "",
    status: "complete",
    keys: { prepare: "p1", split: "s1", train: "t1" },
    options: {},
  });
  // "old" trained before the record was written, "new" after it.
  const recorded = Deno.statSync(join(root, "experiments", "exp.json")).mtime!.getTime() / 1000;
  Deno.utimeSync(
    join(root, "train", "old.partial", "checkpoint.bin"),
    recorded - 60,
    recorded - 60,
  );
  Deno.utimeSync(join(root, "train", "old.partial"), recorded - 60, recorded - 60);
  Deno.utimeSync(
    join(root, "train", "new.partial", "checkpoint.bin"),
    recorded + 60,
    recorded + 60,
  );
  const garbage = await findGarbage(store);
  assert.deepEqual(garbage.map((g) => [g.path, g.ask ?? false]), [
    ["train/new.partial", true],
    ["train/old.partial", false],
  ]);
  assert.match(garbage[0].why, /trained after the newest record was written/);
  // The task: --yes keeps it and says how to remove it; --yes --unfinished removes it.
  const clean = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        fileURLToPath(new URL("../../tasks/clean.ts", import.meta.url)),
        ...args,
      ],
      env: { FACE_COMPARER_ARTIFACTS: root, NO_COLOR: "1" },
    }).output();
    return { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
  };
  const yes = await clean("--yes");
  assert.equal(yes.code, 0, yes.out);
  assert.match(
    yes.out,
    /removed 1 item\(s\).*kept: remove them with `deno task clean --yes --unfinished`/,
  );
  assert.ok(Deno.statSync(join(root, "train", "new.partial")).isDirectory);
  assert.throws(() => Deno.statSync(join(root, "train", "old.partial")), Deno.errors.NotFound);
  assert.equal((await clean("--unfinished")).code, 1);
  const unfinished = await clean("--yes", "--unfinished");
  assert.equal(unfinished.code, 0, unfinished.out);
  assert.deepEqual(await findGarbage(store), []);
});
