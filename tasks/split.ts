/**
 * `deno task split`: prepared faces -> training, validation and test pairs (cached).
 * @module
 */
import { artifactsRoot } from "../lib/config/defaults.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { ensureSplit } from "../lib/pipeline/split_stage.ts";
import {
  PREPARE_HELP,
  PREPARE_OPTIONS,
  readSplitOptions,
  SPLIT_HELP,
  SPLIT_OPTIONS,
} from "../lib/pipeline/stage_options.ts";
import { parseTaskArgs, runTask } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task split [options]
Draws the pairs of each set (runs prepare first if needed).
${SPLIT_HELP}
${PREPARE_HELP}
  --force          redraw the split even if cached (prepare is reused)`;

await runTask("split", async () => {
  const args = parseTaskArgs(Deno.args, {
    ...PREPARE_OPTIONS,
    ...SPLIT_OPTIONS,
    force: { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
  }
  const { split } = await ensureSplit(
    new ArtifactStore(artifactsRoot()),
    readSplitOptions(args, Boolean(args.values.force)),
  );
  const n = split.manifest.info.pairs as Record<string, number>;
  console.log(
    `split: ${n.train} training, ${n.val} validation, ${n.test} test pairs in ${split.dir}`,
  );
});
