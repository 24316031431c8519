import assert from "node:assert/strict";
import { parseTorchLine, runTorchReference } from "../../lib/bench/torch_reference.ts";

Deno.test("the PyTorch reference line is parsed; other output is a reason", () => {
  assert.deepEqual(
    parseTorchLine("torch 1.13.0a0 threads=2 train_pairs_per_s=121.7 forward_images_per_s=338\n"),
    {
      ok: true,
      version: "1.13.0a0",
      threads: 2,
      trainPairsPerSecond: 121.7,
      forwardImagesPerSecond: 338,
    },
  );
  assert.equal(parseTorchLine("Traceback ...\nImportError: x").ok, false);
});

Deno.test("a missing reference script is reported, not thrown", async () => {
  const result = await runTorchReference("/no/such/script.py", 1);
  assert.equal(result.ok, false);
  assert.match(result.reason!, /no reference script/);
});
