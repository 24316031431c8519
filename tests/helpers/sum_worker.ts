/**
 * Test worker for `worker_call.ts`: sums numbers, logging first; a negative number is a user's
 * error, a NaN an internal one, an infinity a wasm out-of-bounds trap (the wasm heap running out).
 * @module
 */
import { UserError } from "../../lib/util/errors.ts";
import { serveCall } from "../../lib/util/worker_call.ts";
import { trapOutOfBounds } from "./out_of_bounds_wasm.ts";

serveCall<Float64Array, Float64Array>(async (numbers, log) => {
  log(`adding ${numbers.length} numbers`);
  if (numbers.some((x) => x < 0)) {
    throw new UserError(`negative number ${numbers.find((x) => x < 0)}`);
  }
  if (numbers.some(Number.isNaN)) throw new TypeError("not a number");
  if (numbers.includes(Infinity)) await trapOutOfBounds();
  const sum = Float64Array.of(numbers.reduce((a, b) => a + b, 0));
  return { result: sum, transfer: [sum.buffer] };
});
