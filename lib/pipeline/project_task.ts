/**
 * Running one of the project's tasks as a user types it (`deno task NAME ARGS`), in its own
 * process with this terminal: how a probe runs its candidates and `bench --fisher-peer` our side.
 *
 * @example
 * ```ts
 * await runProjectTask("test", ["v1_fisher"], { label: "probe" });
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import { UserError } from "../util/errors.ts";

/** The project's root, where `deno task` finds its tasks (the folder of deno.json). */
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runs `deno task NAME WORDS` in the project's root, as `deno task` runs its tasks from wherever
 * it is typed, printing the command after `label:` first; `env` is added to the environment. A
 * failure is a UserError naming the command and its exit code.
 */
export async function runProjectTask(
  name: string,
  words: readonly string[],
  options: { label: string; env?: Record<string, string> },
): Promise<void> {
  const command = `deno task ${name} ${words.join(" ")}`;
  console.log(`${options.label}: ${command}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", name, ...words],
    cwd: PROJECT_ROOT,
    env: options.env,
    stdin: "null",
  }).spawn().status;
  if (!status.success) {
    throw new UserError(`\`${command}\` failed (exit ${status.code})`);
  }
}
