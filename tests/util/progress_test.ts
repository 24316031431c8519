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

Deno.test("the live line has a bar, counts, rate, this piece's and the whole run's ETA, within the terminal width", () => {
  const progress = new Progress("epoch 3/10", 1000, {
    unit: "pairs",
    live: false,
    summary: false,
    run: { piecesAfter: 7, secondsPerPiece: 60 },
    columns: 200,
  });
  progress.advance(250, "loss 0.6100");
  const start = performance.now();
  // 250 pairs after 1 s of a 1,000-pair epoch: 3 s left, then 7 epochs of 60 s.
  const line = progress.liveLine(start + 1000);
  assert.match(line, /^epoch 3\/10 \[#####-{15}\], 250\/1000 pairs, \d+(\.\d)? pairs\/s, ETA \d+s \(run 7m0\ds\), loss 0\.6100$/);
  const narrow = new Progress("epoch 3/10", 1000, {
    unit: "pairs",
    live: false,
    summary: false,
    columns: 40,
  });
  narrow.advance(10, "a long extra text that would wrap the line on a narrow terminal");
  assert.ok(narrow.liveLine().length <= 39, narrow.liveLine());
});
