import assert from "node:assert/strict";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { describeWasmExhaustion } from "../../lib/util/worker_failure.ts";
import { outOfBoundsTrap } from "../helpers/out_of_bounds_wasm.ts";

Deno.test("selectBackend watches the wasm heap: a trap in its fresh, small heap is a fault", async () => {
  const info = await selectBackend("wasm", { log: () => {} });
  assert.equal(info.name, "wasm");
  const trap = await outOfBoundsTrap();
  assert.ok(trap instanceof WebAssembly.RuntimeError);
  assert.equal(describeWasmExhaustion(trap), undefined);
  assert.match(describeWasmExhaustion(trap, 4e9)!, /ran out at 4\.0 GB/);
});
