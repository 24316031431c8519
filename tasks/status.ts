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
For each experiment (all by default; a ten-fold experiment as its folds NAME_fold1 ..
NAME_fold10): each stage cached, unfinished, missing, damaged or would rerun, with the reason:
what changed since it was built among the code it runs for that experiment's model (which files;
comments do not count), its parameters (which), its inputs (an earlier stage's artifact, the
backend, the images or protocol files). Runs nothing.`;

await runTask("status", async () => {
  const args = parseTaskArgs(Deno.args, {});
  if (args.values.help) return console.log(HELP);
  const store = new ArtifactStore(artifactsRoot());
  const index = new ExperimentIndex(store.root);
  const asked = args.positionals.map(validateExperimentName);
  // A ten-fold experiment's stages are its folds': each is listed as its own experiment (a fold
  // not begun yet has no record).
  const names: string[] = [];
  const unbegun = new Set<string>();
  for (const n of asked.length ? asked : await index.names()) {
    const r = asked.length ? await index.require(n) : await index.get(n).catch(() => undefined);
    if (!r) continue;
    for (const name of r.kind === "ten-fold" ? r.folds : [n]) {
      if (names.includes(name)) continue;
      names.push(name);
      if (r.kind === "ten-fold" && !(await index.get(name).catch(() => true))) unbegun.add(name);
    }
  }
  if (names.length === 0) {
    throw new UserError("no experiments yet: train one with `deno task train NAME`");
  }
  for (const name of names) {
    console.log(`${name}:`);
    if (unbegun.has(name)) {
      console.log("  not begun: the ten-fold run trains it in turn (rerun its train command)");
      continue;
    }
    for (const s of await experimentStatus(store, name)) {
      console.log(
        `  ${s.stage.padEnd(8)} ${s.state.padEnd(12)} ${s.key ? s.key.slice(0, 12) : ""}${
          s.reasons.length ? `  ${s.reasons.join("; ")}` : ""
        }`,
      );
    }
  }
});
