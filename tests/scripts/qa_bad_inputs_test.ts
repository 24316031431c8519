/**
 * The QA pass over bad inputs (`deno task qa`) as a regression test: every case is refused with
 * one line naming what is wrong, without a stack trace, and nothing is lost.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

Deno.test("deno task qa: every bad input is refused in one line, no stack trace, nothing lost", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      fileURLToPath(new URL("../../scripts/qa_bad_inputs.ts", import.meta.url)),
    ],
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(
    text,
    /qa: \d+ bad inputs, 0 failed: 0 stack traces, 0 silent accepts, 0 unclear errors, 0 things lost/,
  );
  assert.ok(!/^FAIL/m.test(text), text);
});
