import assert from "node:assert/strict";
import { parsePillowLine, runPillowReference } from "../../lib/bench/pillow_reference.ts";

Deno.test("the Pillow peer's line is parsed; other output and a missing script are reasons", async () => {
  assert.deepEqual(parsePillowLine("pillow 9.4.0 images=2000 seconds=0.52 images_per_s=3846\n"), {
    ok: true,
    version: "9.4.0",
    images: 2000,
    imagesPerSecond: 3846,
  });
  assert.deepEqual(parsePillowLine("Traceback...\nOSError: broken"), {
    ok: false,
    reason: "unexpected output: OSError: broken",
  });
  const missing = await runPillowReference("/nonexistent/pillow_prepare.py", "/tmp", 10);
  assert.deepEqual(missing, { ok: false, reason: "no reference script at /nonexistent/pillow_prepare.py" });
});
