/**
 * `deno task prepare`: LFW images -> the prepared 64x64 face array (cached).
 * @module
 */
import { artifactsRoot } from "../lib/config/defaults.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { ensurePrepared } from "../lib/pipeline/prepare_stage.ts";
import {
  PREPARE_HELP,
  PREPARE_OPTIONS,
  readPrepareOptions,
} from "../lib/pipeline/stage_options.ts";
import { parseTaskArgs, runTask } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task prepare [options]
Cuts the crop box (--box; LFWcrop's by default) out of every image, resizes it and stores one
compact array.
${PREPARE_HELP}
  --force          rebuild even if cached`;

await runTask("prepare", async () => {
  const args = parseTaskArgs(Deno.args, { ...PREPARE_OPTIONS, force: { type: "boolean" } });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
  }
  const artifact = await ensurePrepared(
    new ArtifactStore(artifactsRoot()),
    readPrepareOptions(args, Boolean(args.values.force)),
  );
  const info = artifact.manifest.info;
  console.log(`prepare: ${info.images} images of ${info.people} people in ${artifact.dir}`);
});
