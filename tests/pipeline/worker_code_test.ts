import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { WorkerCode } from "../../lib/pipeline/worker_code.ts";
import { UserError } from "../../lib/util/errors.ts";
import { callWorker } from "../../lib/util/worker_call.ts";

/**
 * Runs `use` with a worker module in a temporary folder that imports a second module (its
 * answer, at path `answer`), the way the project's workers import the rest of the code; the
 * worker serves one call with the answer. `code` was made before `use` runs, as a caller's is.
 */
async function withWorker(
  use: (code: WorkerCode, answer: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "worker_code_test_" });
  const serve = pathToFileURL(join(Deno.cwd(), "lib/util/worker_call.ts")).href;
  await Deno.writeTextFile(
    join(dir, "answer_worker.ts"),
    `import { serveCall } from "${serve}";\nimport { answer } from "./answer.ts";\n` +
      `serveCall(() => Promise.resolve({ result: answer }));\n`,
  );
  const answer = join(dir, "answer.ts");
  await Deno.writeTextFile(answer, "export const answer = 42;\n");
  try {
    await use(new WorkerCode(pathToFileURL(join(dir, "answer_worker.ts"))), answer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a worker whose code is unchanged since its caller loaded starts and answers", async () => {
  await withWorker(async (code) => {
    assert.equal(await callWorker(code, null, { label: "answer" }), 42);
    assert.equal(await callWorker(code, null, { label: "answer" }), 42);
  });
});

Deno.test("a module the worker imports changed on disk after its caller loaded: a UserError naming it, no worker started", async () => {
  await withWorker(async (code, answer) => {
    await Deno.writeTextFile(answer, "export const answer = 43;\n");
    await assert.rejects(
      () => callWorker(code, null, { label: "answer" }),
      (error: Error) =>
        error instanceof UserError &&
        /^the code changed while this run was under way \(.*answer\.ts\): .*rerun the command/
          .test(error.message) &&
        !error.message.includes("\n"),
    );
    // Also where a worker is made directly (the training's branch and batch workers).
    assert.throws(() => code.start(), UserError);
    // Put back as it was, the code is the caller's again.
    await Deno.writeTextFile(answer, "export const answer = 42;\n");
    assert.equal(await callWorker(code, null, { label: "answer" }), 42);
  });
});

Deno.test("an edit of comments only changes no code a worker runs: the worker starts", async () => {
  await withWorker(async (code, answer) => {
    await Deno.writeTextFile(
      answer,
      "/**\n * The answer.\n */\n\n  export const answer = 42;\n// unchanged\n",
    );
    assert.equal(await callWorker(code, null, { label: "answer" }), 42);
  });
});

Deno.test("a module the worker imports is gone: a UserError naming it", async () => {
  await withWorker(async (code, answer) => {
    await Deno.remove(answer);
    assert.throws(
      () => code.assertUnchanged(),
      (error: Error) =>
        error instanceof UserError && error.message.includes("answer.ts") &&
        error.message.startsWith("the code changed while this run was under way"),
    );
  });
});
