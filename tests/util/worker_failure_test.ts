import assert from "node:assert/strict";
import { UserError } from "../../lib/util/errors.ts";
import {
  describeWasmExhaustion,
  EXHAUSTED_HEAP_BYTES,
  watchWasmHeap,
  workerFailure,
} from "../../lib/util/worker_failure.ts";
import { outOfBoundsTrap } from "../helpers/out_of_bounds_wasm.ts";

Deno.test("describeWasmExhaustion: with no heap watched, a wasm out-of-bounds trap is the heap running out, in one line; nothing else is", async () => {
  const thrown = await outOfBoundsTrap();
  assert.ok(thrown instanceof WebAssembly.RuntimeError);
  const line = describeWasmExhaustion(thrown)!;
  assert.match(line, /wasm backend's memory \(4 GB at most\) ran out/);
  assert.match(line, /fewer Gaussians \(fisher:gaussians=N\), a smaller pca=N or --batch-size/);
  assert.ok(!line.includes("\n"));
  assert.equal(describeWasmExhaustion(new Error("memory access out of bounds")), undefined);
  assert.equal(describeWasmExhaustion(new WebAssembly.RuntimeError("unreachable")), undefined);
});

Deno.test("workerFailure: the user's errors (a UserError, the wasm heap running out) as one line; anything else with its stack", async () => {
  const exhausted = workerFailure(await outOfBoundsTrap());
  assert.equal(exhausted.user, true);
  assert.match(exhausted.message, /wasm backend's memory \(4 GB at most\) ran out/);
  const refused = workerFailure(new UserError("--lr 0: not above 0"));
  assert.deepEqual([refused.user, refused.message], [true, "--lr 0: not above 0"]);
  const bug = workerFailure(new TypeError("x is undefined"));
  assert.deepEqual([bug.user, bug.message], [false, "x is undefined"]);
  assert.match(bug.stack!, /TypeError: x is undefined/);
  assert.deepEqual(workerFailure("a string"), {
    message: "a string",
    user: false,
    stack: undefined,
  });
});

Deno.test("describeWasmExhaustion: a trap in a heap under 1 GB is a fault, not the heap running out", async () => {
  const trap = await outOfBoundsTrap();
  assert.equal(describeWasmExhaustion(trap, 64e6), undefined);
  assert.equal(describeWasmExhaustion(trap, EXHAUSTED_HEAP_BYTES - 1), undefined);
  assert.match(
    describeWasmExhaustion(trap, 3.9e9)!,
    /ran out at 3\.9 GB \(memory access out of bounds\)/,
  );
  // The watched heap is the default: a fault in a small one reaches the user with its stack.
  watchWasmHeap(() => 64e6);
  try {
    assert.equal(describeWasmExhaustion(trap), undefined);
    const fault = workerFailure(trap);
    assert.deepEqual([fault.user, fault.message], [false, "memory access out of bounds"]);
    assert.match(fault.stack!, /RuntimeError: memory access out of bounds/);
    watchWasmHeap(() => 4e9);
    assert.equal(workerFailure(trap).user, true);
  } finally {
    watchWasmHeap(undefined);
  }
});
