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

const HELP = `Usage: deno task clean [--yes [--unfinished]]
Lists what no experiment refers to in the artifact store (artifacts of forgotten or retrained
experiments, unfinished training nobody resumes, leftovers of killed builds) with the space it takes.
  --yes          remove them (without it nothing is changed), except unfinished training that
                 no experiment names but that trained after the newest record was written
  --unfinished   with --yes, remove those too`;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

await runTask("clean", async () => {
  const args = parseTaskArgs(Deno.args, {
    yes: { type: "boolean" },
    unfinished: { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
  }
  if (args.values.unfinished && !args.values.yes) {
    throw new UserError("--unfinished goes with --yes (without --yes nothing is removed)");
  }
  const store = new ArtifactStore(artifactsRoot());
  const garbage = await findGarbage(store);
  const total = garbage.reduce((s, g) => s + g.bytes, 0);
  for (const g of garbage) console.log(`${mib(g.bytes).padStart(10)}  ${g.path}  (${g.why})`);
  if (garbage.length === 0) return console.log("clean: nothing to remove");
  // Unfinished work newer than every record is removed only when asked for.
  const asked = garbage.filter((g) => g.ask && !args.values.unfinished);
  const askedNote = asked.length === 0
    ? ""
    : `; ${asked.length} unfinished run(s) (${
      mib(asked.reduce((s, g) => s + g.bytes, 0))
    }) trained after the newest record go only with \`deno task clean --yes --unfinished\``;
  if (!args.values.yes) {
    return console.log(
      `clean: ${garbage.length} item(s), ${
        mib(total)
      } would be freed; run \`deno task clean --yes\` to remove them${askedNote}`,
    );
  }
  const removed = garbage.filter((g) => !asked.includes(g));
  await removeGarbage(store, removed);
  console.log(
    `clean: removed ${removed.length} item(s), ${
      mib(removed.reduce((s, g) => s + g.bytes, 0))
    } freed${askedNote.replace("go only with", "kept: remove them with")}`,
  );
});
