import assert from "node:assert/strict";
import { mapLimit } from "../../lib/util/concurrency.ts";

Deno.test("mapLimit keeps order and its limit", async () => {
  let inFlight = 0, most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], async (x) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, x));
    inFlight--;
    return x * 10;
  }, { limit: 2 });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
});

Deno.test("after a failure no call starts, and the error comes once the calls in flight settled", async () => {
  const started: number[] = [];
  let finished = 0;
  await assert.rejects(
    () =>
      mapLimit([0, 1, 2, 3, 4, 5], async (x) => {
        started.push(x);
        if (x === 1) throw new Error("bad item 1");
        await new Promise((r) => setTimeout(r, 20));
        finished++;
        return x;
      }, { limit: 2 }),
    /bad item 1/,
  );
  // Item 0 was in flight when item 1 failed: it finished before the error was thrown.
  assert.equal(finished, started.length - 1);
  assert.ok(started.length <= 3, `started ${started}`);
});
