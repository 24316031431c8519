/**
 * `deno task test`: not implemented yet (see the open issues); exits with an error.
 * @module
 */
import { runTask } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

await runTask("test", () => {
  throw new UserError("this task is not implemented yet; see the README's status section");
});
