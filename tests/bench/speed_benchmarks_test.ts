import assert from "node:assert/strict";
import {
  benchmarkAugmentation,
  processCpuSeconds,
  TrainingBenchmark,
  watchPeakMemory,
} from "../../lib/bench/speed_benchmarks.ts";
import { selectBackend } from "../../lib/backend/select_backend.ts";

Deno.test("process CPU time is readable and grows with work", () => {
  const before = processCpuSeconds();
  let x = 0;
  const end = performance.now() + 150;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  assert.ok(processCpuSeconds() > before, String(x > 0));
});

Deno.test("peak memory sees an allocation made while it watches", async () => {
  const memory = watchPeakMemory();
  const before = Deno.memoryUsage().rss / 2 ** 20;
  const block = new Uint8Array(64 * 2 ** 20).fill(1);
  await new Promise((resolve) => setTimeout(resolve, 120));
  const peak = memory.stop();
  assert.ok(peak >= before + 48, `peak ${peak} MiB, before ${before} MiB (${block[0]})`);
});

Deno.test("the training benchmark times real steps and can be measured repeatedly", async () => {
  await selectBackend("wasm");
  const bench = new TrainingBenchmark({ threads: 1, batchSize: 8 });
  try {
    await bench.warmUp(1);
    for (const steps of [1, 2]) {
      const figures = await bench.measure(steps);
      assert.equal(figures.steps, steps);
      assert.equal(figures.threads, 1);
      assert.ok(figures.pairsPerSecond > 0 && Number.isFinite(figures.pairsPerSecond));
      assert.ok(figures.cpuPercent > 0, `CPU ${figures.cpuPercent}%`);
    }
  } finally {
    bench.close();
  }
});

Deno.test("augmentation throughput is a positive rate", () => {
  const rate = benchmarkAugmentation(200);
  assert.ok(rate > 0 && Number.isFinite(rate));
});
