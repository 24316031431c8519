/**
 * `deno task clean`: lists the artifacts no experiment refers to and the space they take (a dry
 * run); `--yes` removes them.
 * @module
 */
import { artifactsRoot } from "../lib/config/defaults.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { findGarbage, removeGarbage } from "../lib/pipeline/clean.ts";
import { parseTaskArgs, runTask } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task clean [--yes]
Lists what no experiment refers to in the artifact store (artifacts of forgotten or retrained
experiments, unfinished training nobody resumes, leftovers of killed builds) with the space it takes.
  --yes   remove them (without it nothing is changed)`;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

await runTask("clean", async () => {
  const args = parseTaskArgs(Deno.args, { yes: { type: "boolean" } });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
  }
  const store = new ArtifactStore(artifactsRoot());
  const garbage = await findGarbage(store);
  const total = garbage.reduce((s, g) => s + g.bytes, 0);
  for (const g of garbage) console.log(`${mib(g.bytes).padStart(10)}  ${g.path}  (${g.why})`);
  if (garbage.length === 0) return console.log("clean: nothing to remove");
  if (!args.values.yes) {
    return console.log(
      `clean: ${garbage.length} item(s), ${
        mib(total)
      } would be freed; run \`deno task clean --yes\` to remove them`,
    );
  }
  await removeGarbage(store, garbage);
  console.log(`clean: removed ${garbage.length} item(s), ${mib(total)} freed`);
});
