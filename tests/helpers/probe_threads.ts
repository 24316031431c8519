/**
 * Test program: probes WebGPU as the tasks do, then prints what the probe left behind as JSON:
 * the adapter's description, the process's thread names, DENO_WEBGPU_BACKEND and
 * XDG_RUNTIME_DIR. With `--select-webgpu` it then starts tfjs's WebGPU backend too (which asks
 * for an adapter again), as `--backend webgpu` does, and its thread names are not read.
 * @module
 */
import { probeWebGpu, selectBackend } from "../../lib/backend/select_backend.ts";

const probe = await probeWebGpu();
const selectWebGpu = Deno.args.includes("--select-webgpu");
if (selectWebGpu && probe.adapter) await selectBackend("webgpu", { log: () => {} });
const threads = [...Deno.readDirSync("/proc/self/task")].map((task) => {
  try {
    return Deno.readTextFileSync(`/proc/self/task/${task.name}/comm`).trim();
  } catch {
    return "?";
  }
});
console.log(JSON.stringify({
  adapter: probe.adapter ? probe.description : null,
  threads,
  backendVariable: Deno.env.get("DENO_WEBGPU_BACKEND") ?? null,
  runtimeDirVariable: Deno.env.get("XDG_RUNTIME_DIR") ?? null,
}));
// tfjs's WebGPU device may keep the event loop alive.
if (selectWebGpu) Deno.exit(0);
