/**
 * Run as a subprocess by `tests/data/prepare_memory_test.ts`: prepares the faces of the folder
 * `Deno.args[0]` at size `Deno.args[1]` (`colour` as the third argument: colour faces) into a
 * fresh artifact store, as `deno task prepare` does, then prints the process's peak resident
 * memory (VmHWM) as `peak BYTES`, after prepare's own lines.
 * @module
 */
import { PREPARE_DEFAULTS } from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ensurePrepared } from "../../lib/pipeline/prepare_stage.ts";

const [images, size, colour] = Deno.args;
await ensurePrepared(new ArtifactStore(Deno.makeTempDirSync(), { log: () => {} }), {
  images,
  params: { ...PREPARE_DEFAULTS, size: Number(size), grey: colour !== "colour" },
});
const status = Deno.readTextFileSync("/proc/self/status");
console.log(`peak ${Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024}`);
