/**
 * Probing WebGPU (which every task does in `auto` mode) asks only the native graphics APIs:
 * wgpu's OpenGL backend would start an EGL display and, with Mesa, a second software renderer
 * with its own threads in every process, unused and still running at exit. A user's
 * DENO_WEBGPU_BACKEND is respected, and the variable is left as it was. Without XDG_RUNTIME_DIR
 * (a headless machine, a container), neither the probe nor starting the WebGPU backend lets
 * Mesa's Vulkan driver print libwayland's "error: XDG_RUNTIME_DIR is invalid or not set": every
 * task probes, and no line a user did not cause may read "error".
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { needs, probeWebGpuRequirement } from "../helpers/tiers.ts";

await probeWebGpuRequirement();

function withoutBackendVariable(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.DENO_WEBGPU_BACKEND;
  return env;
}

async function probeInProcess(
  env: Record<string, string>,
  options: { withoutRuntimeDir?: boolean; selectWebGpu?: boolean } = {},
) {
  const base = withoutBackendVariable();
  if (options.withoutRuntimeDir) delete base.XDG_RUNTIME_DIR;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--unstable-webgpu",
      fileURLToPath(new URL("../helpers/probe_threads.ts", import.meta.url)),
      ...(options.selectWebGpu ? ["--select-webgpu"] : []),
    ],
    // The machine's own DENO_WEBGPU_BACKEND, if any, is left out.
    clearEnv: true,
    env: { ...base, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  return {
    ...JSON.parse(new TextDecoder().decode(out.stdout)) as {
      adapter: string | null;
      threads: string[];
      backendVariable: string | null;
      runtimeDirVariable: string | null;
    },
    stderr,
  };
}

Deno.test({
  name: "the WebGPU probe starts no OpenGL renderer, and leaves DENO_WEBGPU_BACKEND as it was",
  // Thread names are read from /proc.
  ignore: needs("webgpu") || Deno.build.os !== "linux",
  fn: async () => {
    const plain = await probeInProcess({});
    assert.ok(plain.adapter, "an adapter was found");
    // Mesa's llvmpipe threads belong to a rendering context: a Vulkan adapter alone has none.
    assert.deepEqual(plain.threads.filter((t) => /llvmpipe|disk\$/.test(t)), []);
    assert.equal(plain.backendVariable, null);
    // The user's choice is kept.
    const chosen = await probeInProcess({ DENO_WEBGPU_BACKEND: "vulkan,gl" });
    assert.equal(chosen.backendVariable, "vulkan,gl");
  },
});

Deno.test({
  name: "without XDG_RUNTIME_DIR, probing and starting WebGPU print no libwayland error",
  ignore: needs("webgpu"),
  fn: async () => {
    for (const selectWebGpu of [false, true]) {
      const run = await probeInProcess({}, { withoutRuntimeDir: true, selectWebGpu });
      assert.ok(run.adapter, "an adapter was found");
      assert.deepEqual(
        run.stderr.split("\n").filter((line) => line.startsWith("error: XDG")),
        [],
        `stderr with${selectWebGpu ? "" : "out"} --select-webgpu`,
      );
      // The variable names a private folder of this user's, left set for the process.
      const folder = run.runtimeDirVariable ?? "";
      assert.ok(folder.startsWith("/"), `XDG_RUNTIME_DIR: ${run.runtimeDirVariable}`);
      const info = await Deno.stat(folder);
      assert.ok(info.isDirectory);
      assert.equal(info.uid, Deno.uid());
      assert.equal((info.mode ?? 0) & 0o077, 0);
    }
    // A user's own XDG_RUNTIME_DIR is left as it is.
    const own = await Deno.makeTempDir();
    try {
      const run = await probeInProcess({ XDG_RUNTIME_DIR: own });
      assert.equal(run.runtimeDirVariable, own);
    } finally {
      await Deno.remove(own, { recursive: true });
    }
  },
});
