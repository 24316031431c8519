/**
 * Test program: probes WebGPU as the tasks do, then prints what the probe left behind as JSON:
 * the adapter's description, the process's thread names and DENO_WEBGPU_BACKEND.
 * @module
 */
import { probeWebGpu } from "../../lib/backend/select_backend.ts";

const probe = await probeWebGpu();
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
}));
