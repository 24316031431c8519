import assert from "node:assert/strict";
import { UserError } from "../../lib/util/errors.ts";
import { callWorker } from "../../lib/util/worker_call.ts";
import { WorkerCode } from "../../lib/pipeline/worker_code.ts";

const SUM = new WorkerCode(new URL("../helpers/sum_worker.ts", import.meta.url));
const sum = (numbers: number[], log?: (line: string) => void) => {
  const request = Float64Array.from(numbers);
  return callWorker<Float64Array, Float64Array>(SUM, request, {
    label: "summing",
    log,
    transfer: [request.buffer],
  });
};

Deno.test("a worker call returns its result after its log lines; moved buffers are detached", async () => {
  const lines: string[] = [];
  const request = Float64Array.of(1, 2, 3.5);
  const result = await callWorker<Float64Array, Float64Array>(SUM, request, {
    label: "summing",
    log: (line) => lines.push(line),
    transfer: [request.buffer],
  });
  assert.deepEqual([...result], [6.5]);
  assert.deepEqual(lines, ["adding 3 numbers"]);
  assert.equal(request.length, 0, "the request's buffer was moved, not copied");
});

Deno.test("a worker's user error comes back as a UserError; another error with the label and the worker's stack", async () => {
  await assert.rejects(
    () => sum([1, -2]),
    (error: Error) => error instanceof UserError && error.message === "negative number -2",
  );
  await assert.rejects(
    () => sum([1, NaN]),
    (error: Error) =>
      !(error instanceof UserError) && error.message === "summing: not a number" &&
      /sum_worker\.ts/.test(error.stack ?? ""),
  );
  // The wasm heap running out in a worker is the user's one-line error, as in the caller.
  await assert.rejects(
    () => sum([1, Infinity]),
    (error: Error) =>
      error instanceof UserError &&
      /wasm backend's memory \(4 GB at most\) ran out/.test(error.message),
  );
});
