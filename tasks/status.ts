/**
 * `deno task status [NAME...]`: which stages of each experiment are cached and which would run
 * again, and why (the code files, parameters or inputs that changed, unfinished, missing or
 * damaged), without running or changing anything.
 * @module
 */
import { artifactsRoot } from "../lib/config/defaults.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { ExperimentIndex } from "../lib/pipeline/experiments.ts";
import { experimentStatus } from "../lib/pipeline/stage_status.ts";
import { parseTaskArgs, runTask, validateExperimentName } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task status [NAME...]
For each experiment (all single experiments by default): each stage cached, unfinished, missing,
damaged or would rerun, with the reason: what changed since it was built among the code it runs for
that experiment's model (which files; comments do not count), its parameters (which), its inputs
(an earlier stage's artifact, the backend, the images or protocol files). Runs nothing.`;

await runTask("status", async () => {
  const args = parseTaskArgs(Deno.args, {});
  if (args.values.help) return console.log(HELP);
  const store = new ArtifactStore(artifactsRoot());
  const index = new ExperimentIndex(store.root);
  let names = args.positionals.map(validateExperimentName);
  if (names.length === 0) {
    names = [];
    for (const n of await index.names()) {
      const r = await index.get(n).catch(() => undefined);
      if (r && r.kind !== "ten-fold") names.push(n);
    }
  }
  if (names.length === 0) {
    throw new UserError("no experiments yet: train one with `deno task train NAME`");
  }
  for (const name of names) {
    console.log(`${name}:`);
    for (const s of await experimentStatus(store, name)) {
      console.log(
        `  ${s.stage.padEnd(8)} ${s.state.padEnd(12)} ${s.key ? s.key.slice(0, 12) : ""}${
          s.reasons.length ? `  ${s.reasons.join("; ")}` : ""
        }`,
      );
    }
  }
});
