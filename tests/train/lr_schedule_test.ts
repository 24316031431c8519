import assert from "node:assert/strict";
import { learningRateScale } from "../../lib/train/lr_schedule.ts";

Deno.test("constant is 1 after warm-up; warm-up rises linearly", () => {
  const p = { schedule: "constant" as const, warmupEpochs: 2, epochs: 10 };
  assert.equal(learningRateScale(p, 1), 0.5);
  assert.equal(learningRateScale(p, 2), 1);
  assert.equal(learningRateScale(p, 9.9), 1);
  assert.equal(learningRateScale({ ...p, warmupEpochs: 0 }, 0), 1);
});

Deno.test("cosine falls from 1 to 0 over the epochs after warm-up", () => {
  const p = { schedule: "cosine" as const, warmupEpochs: 0, epochs: 10 };
  assert.equal(learningRateScale(p, 0), 1);
  assert.ok(Math.abs(learningRateScale(p, 5) - 0.5) < 1e-12);
  assert.ok(learningRateScale(p, 10) < 1e-12);
  const w = { ...p, warmupEpochs: 1 };
  assert.ok(Math.abs(learningRateScale(w, 0.5) - 0.5) < 1e-12);
  assert.equal(learningRateScale(w, 1), 1);
  assert.ok(Math.abs(learningRateScale(w, 5.5) - 0.5) < 1e-12);
});
