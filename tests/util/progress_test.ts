import assert from "node:assert/strict";
import { formatSeconds, Progress } from "../../lib/util/progress.ts";

Deno.test("formatSeconds uses s, m and h forms", () => {
  assert.equal(formatSeconds(42.4), "42s");
  assert.equal(formatSeconds(185), "3m05s");
  assert.equal(formatSeconds(3720), "1h02m");
  assert.equal(formatSeconds(-3), "0s");
});

Deno.test("a quiet progress counts items and reports a rate", () => {
  const progress = new Progress("test", 10, { live: false, summary: false });
  progress.advance(4);
  progress.advance(6, "extra");
  assert.ok(progress.rate() > 0);
  progress.finish();
});
