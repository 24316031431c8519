import assert from "node:assert/strict";
import { measureAgainstReference, median } from "../../lib/bench/reference_rounds.ts";
import type { TrainingFigures } from "../../lib/bench/speed_benchmarks.ts";
import type { TorchReference } from "../../lib/bench/torch_reference.ts";

Deno.test("median of odd and even counts; an empty list is an error", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 10]), 3.5);
  assert.throws(() => median([]), RangeError);
});

/** A fake benchmark and reference that log the order of their calls. */
function fakes(ours: number[], peer: TorchReference[]) {
  const calls: string[] = [];
  let o = 0, p = 0;
  return {
    calls,
    bench: {
      measure(steps: number): Promise<TrainingFigures> {
        calls.push(`ours ${steps}`);
        return Promise.resolve({
          pairsPerSecond: ours[o++],
          threads: 2,
          cpuPercent: 150 + o,
          steps,
        });
      },
    },
    reference: () => {
      calls.push("reference");
      return Promise.resolve(peer[p++]);
    },
  };
}

const ok = (pairs: number): TorchReference => ({
  ok: true,
  version: "1.13",
  threads: 2,
  trainPairsPerSecond: pairs,
  forwardImagesPerSecond: pairs * 2,
});

Deno.test("rounds alternate ours and the reference; the ratio is of the medians", async () => {
  const { calls, bench, reference } = fakes([300, 100, 280], [ok(200), ok(140), ok(400)]);
  const seen: number[] = [];
  const result = await measureAgainstReference(bench, reference, {
    rounds: 3,
    steps: 6,
    onRound: (round) => seen.push(round),
  });
  assert.deepEqual(calls, ["ours 6", "reference", "ours 6", "reference", "ours 6", "reference"]);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(result.oursPairsPerSecond, 280);
  assert.equal(result.oursCpuPercent, 152);
  assert.equal(result.referencePairsPerSecond, 200);
  assert.equal(result.referenceForwardImagesPerSecond, 400);
  assert.equal(result.ratio, 1.4);
});

Deno.test("a failing reference stops its runs and gives no ratio; ours still has a median", async () => {
  const failed: TorchReference = { ok: false, reason: "torch is not installed" };
  const { calls, bench, reference } = fakes([300, 100, 280], [failed]);
  const result = await measureAgainstReference(bench, reference, { rounds: 3, steps: 2 });
  assert.deepEqual(calls, ["ours 2", "reference", "ours 2", "ours 2"]);
  assert.equal(result.oursPairsPerSecond, 280);
  assert.equal(result.ratio, undefined);
  assert.equal(result.reference[0].reason, "torch is not installed");
});

Deno.test("without a reference only our windows run", async () => {
  const { calls, bench } = fakes([10, 20], []);
  const result = await measureAgainstReference(bench, undefined, { rounds: 2, steps: 1 });
  assert.deepEqual(calls, ["ours 1", "ours 1"]);
  assert.equal(result.oursPairsPerSecond, 15);
  await assert.rejects(
    () => measureAgainstReference(bench, undefined, { rounds: 0, steps: 1 }),
    RangeError,
  );
});
