/**
 * Probing WebGPU (which every task does in `auto` mode) asks only the native graphics APIs:
 * wgpu's OpenGL backend would start an EGL display and, with Mesa, a second software renderer
 * with its own threads in every process, unused and still running at exit. A user's
 * DENO_WEBGPU_BACKEND is respected, and the variable is left as it was.
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

async function probeInProcess(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--unstable-webgpu",
      fileURLToPath(new URL("../helpers/probe_threads.ts", import.meta.url)),
    ],
    // The machine's own DENO_WEBGPU_BACKEND, if any, is left out.
    clearEnv: true,
    env: { ...withoutBackendVariable(), ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    adapter: string | null;
    threads: string[];
    backendVariable: string | null;
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
