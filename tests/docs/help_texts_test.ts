import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as customLayers from "../../lib/model/custom_layers.ts";
import { CUSTOM_LAYERS } from "../../lib/model/custom_layers.ts";
import { tempDir } from "../helpers/fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `deno run tasks/TASK.ts ARGS` from the project root; its exit code and output. */
async function task(name: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--unstable-webgpu", `tasks/${name}.ts`, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The serialised names of the custom layers, from the one list a loader registers. */
const LAYERS: string[] = CUSTOM_LAYERS.map((layer) => layer.className);

Deno.test("export --help names face_comparer.js and every custom layer of the one list", async () => {
  assert.ok(LAYERS.length >= 10, LAYERS.join(", "));
  // Every layer class the module exports is in the one list.
  const exported = Object.values(customLayers)
    .map((v) => (v as { className?: unknown }).className)
    .filter((n): n is string => typeof n === "string");
  assert.deepEqual(exported.sort(), [...LAYERS].sort());
  const { code, stdout } = await task("export", ["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /face_comparer\.js .*loads it \(plain tf\.loadLayersModel fails/);
  for (const layer of LAYERS) assert.ok(stdout.includes(layer), `export --help lacks ${layer}`);
  assert.match(stdout, /38 MB for\s+fisher100_512_jb/);
  // The task reference says the same.
  const docs = Deno.readTextFileSync(join(ROOT, "docs", "tasks.md"));
  const section = docs.slice(
    docs.indexOf("## `export NAME OUT_DIR`"),
    docs.indexOf("## Using a GPU"),
  );
  for (const layer of LAYERS) {
    assert.ok(section.includes(`\`${layer}\``), `docs/tasks.md lacks ${layer}`);
  }
});

Deno.test("no help or document calls the comparison page about 10 MB (the Fisher model's is 38 MB)", () => {
  const files = [
    "README.md",
    "docs/tasks.md",
    "tasks/export.ts",
    "tasks/report.ts",
  ];
  for (const file of files) {
    assert.ok(!/about 10 MB/.test(Deno.readTextFileSync(join(ROOT, file))), file);
  }
});

Deno.test("test --help and train --help say what a ten-fold experiment is and does", async () => {
  const test = await task("test", ["--help"]);
  assert.match(
    test.stdout.replace(/\s+/g, " "),
    /A ten-fold experiment .* is evaluated as LFW's View 2 benchmark/,
  );
  const train = await task("train", ["--help"]);
  assert.match(
    train.stdout.replace(/\s+/g, " "),
    /--protocol lfw-view2 without --fold trains the official ten folds, NAME_fold1 \.\. NAME_fold10/,
  );
});

Deno.test("status lists a ten-fold experiment as its folds, by default and by name", async () => {
  const root = tempDir();
  Deno.mkdirSync(join(root, "experiments"));
  const folds = Array.from({ length: 10 }, (_, i) => `v2_fold${i + 1}`);
  const now = new Date().toISOString();
  Deno.writeTextFileSync(
    join(root, "experiments", "v2.json"),
    JSON.stringify({
      kind: "ten-fold",
      name: "v2",
      createdAt: now,
      updatedAt: now,
      status: "training",
      folds,
      options: {},
    }),
  );
  for (const args of [[], ["v2"]]) {
    const { code, stdout, stderr } = await task("status", args, { FACE_COMPARER_ARTIFACTS: root });
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      stdout.split("\n").filter((l) => /^\S/.test(l)),
      folds.map((f) => `${f}:`),
    );
    assert.match(stdout, /not begun: the ten-fold run trains it in turn/);
  }
  const help = await task("status", ["--help"]);
  assert.match(help.stdout, /all by default; a ten-fold experiment as its folds/);
});
