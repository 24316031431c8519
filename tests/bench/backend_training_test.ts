/**
 * `deno task bench --backend B`: one backend's training speed beside the CPU path's, each in its
 * own child process with a time limit. wasm stands in for a GPU here (the plumbing is the same and
 * it needs no adapter; tfjs's pure-JS `cpu` backend trains at 0.05 pairs/s, too slow for a test).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureBackendTraining } from "../../lib/bench/backend_training.ts";
import { tempDir } from "../helpers/fixtures.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function bench(args: string[], artifacts: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--unstable-webgpu", "tasks/bench.ts", ...args],
    cwd: root,
    env: { FACE_COMPARER_ARTIFACTS: artifacts, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("bench --backend wasm: trains on it and on the CPU path, prints both and the ratio", async () => {
  const artifacts = tempDir();
  const run = await bench(["--backend", "wasm", "--steps", "4", "--batch-size", "4"], artifacts);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /bench: wasm .* pairs\/s warm .* 4 steps of 4/);
  assert.match(run.stdout, /bench: CPU path \(wasm\) .* pairs\/s warm/);
  assert.match(run.stdout, /bench: ratio +\d+\.\d\d \(wasm \/ CPU path, warm epochs\)/);
  const figures = JSON.parse(Deno.readTextFileSync(join(artifacts, "bench", "backend_wasm.json")));
  assert.equal(figures.backendTraining.backend.ok, true);
  assert.equal(figures.backendTraining.backend.backend, "wasm");
  assert.equal(figures.backendTraining.backend.epochPairsPerSecond.length, 2);
  assert.equal(figures.backendTraining.cpu.backend, "wasm");
  assert.ok(figures.backendTraining.ratio > 0);
});

Deno.test("bench --backend: an unknown backend or a stray --batch-size is one line, exit 1", async () => {
  const artifacts = tempDir();
  const unknown = await bench(["--backend", "cuda"], artifacts);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr.trim(),
    /^bench: error: --backend: unknown backend "cuda" \(known: .*webgpu.*\)$/,
  );
  const stray = await bench(["--batch-size", "64", "--no-reference"], artifacts);
  assert.equal(stray.code, 1);
  assert.match(stray.stderr.trim(), /--batch-size applies to --backend only$/);
});

Deno.test("measureBackendTraining: a run past its time limit is reported, not waited for", async () => {
  const run = await measureBackendTraining("cpu", { steps: 2, batchSize: 4, timeoutSeconds: 0.5 });
  assert.deepEqual(run, { ok: false, backend: "cpu", reason: "stopped after 0.5 s" });
});
