/**
 * `deno task probe FILE`: runs a design probe declared in FILE (see lib/pipeline/probe.ts): each
 * candidate is trained and tested on LFW View 1 through `deno task train` and `deno task test`
 * (cached: finished candidates are not redone), ranked by the figure the file names, and the
 * winner's frozen commands are written to the probe record and printed; `--run-frozen` then runs
 * them.
 * @module
 */
import { join } from "node:path";
import { artifactsRoot } from "../lib/config/defaults.ts";
import { gitState } from "../lib/pipeline/code_fingerprint.ts";
import {
  candidateTrainWords,
  frozenCommands,
  parseProbe,
  probeRecords,
  rankCandidates,
  SELECT_BY,
} from "../lib/pipeline/probe.ts";
import { readResultRecords, resultsDir } from "../lib/pipeline/result_record.ts";
import { runProjectTask } from "../lib/pipeline/project_task.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { parseTaskArgs, runTask } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task probe FILE [--run-frozen] [--keep-finished]
Runs the design probe declared in FILE (JSON: name, question, selectBy, base, test, candidates,
then): trains and tests every candidate on LFW View 1 (cached; a candidate with --members A,B
is an ensemble of earlier candidates), ranks them by selectBy
(${SELECT_BY.join(" | ")}), and writes artifacts/probes/NAME.json with the ranking and the frozen
commands of the winner (its options with "then"'s). probes/ holds the project's probes.
  --run-frozen     then run the frozen train and test commands (View 2 is run once, for the
                   winner)
  --keep-finished  candidates finished by earlier code are kept and ranked as they are (their
                   records name their commits; see train --help); without it such a candidate
                   stops the probe, and \`deno task train NAME --force\` trains it again`;

await runTask("probe", async () => {
  const args = parseTaskArgs(Deno.args, {
    "run-frozen": { type: "boolean" },
    "keep-finished": { type: "boolean" },
  });
  const keep = args.values["keep-finished"] ? ["--keep-finished"] : [];
  if (args.values.help) return console.log(HELP);
  const [file, extra] = args.positionals;
  if (file === undefined) throw new UserError("name a probe file (e.g. probes/blind_view1.json)");
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}"`);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new UserError(`probe file ${file} cannot be read (${(error as Error).message})`);
  }
  const probe = parseProbe(text, file);
  console.log(`probe: ${probe.name}: ${probe.question}`);
  for (const name of Object.keys(probe.candidates)) {
    await task("train", [...candidateTrainWords(probe, name), ...keep]);
    await task("test", [
      name,
      ...probe.test,
      "--chosen-by",
      "none",
      "--chosen-in",
      `probe:${probe.name}`,
    ]);
  }
  const stored = await readResultRecords(resultsDir(artifactsRoot()));
  const ranking = rankCandidates(probe, probeRecords(probe, stored.map((r) => r.record)));
  const winner = ranking[0].experiment;
  const frozen = frozenCommands(probe, winner);
  const path = join(artifactsRoot(), "probes", `${probe.name}.json`);
  await writeJsonAtomic(path, {
    probe,
    file,
    ranking,
    winner,
    frozen: frozen && {
      train: frozen.train.map((words) => `deno task train ${words.join(" ")}`).join(" && "),
      test: `deno task test ${frozen.test.join(" ")}`,
    },
    git: await gitState(),
    createdAt: new Date().toISOString(),
  });
  console.log(`probe: ${probe.name}: ranked by View 1 ${probe.selectBy}:`);
  for (const [i, r] of ranking.entries()) {
    console.log(
      `  ${i + 1}. ${r.experiment.padEnd(32)} test acc ${(100 * r.testAccuracy).toFixed(2)}% AUC ${
        r.testAuc.toFixed(4)
      } | validation acc ${(100 * r.valAccuracy).toFixed(2)}% AUC ${r.valAuc.toFixed(4)}`,
    );
  }
  console.log(`probe: winner ${winner}; record ${path}`);
  if (!frozen) return;
  for (const words of frozen.train) {
    console.log(`probe: frozen: deno task train ${words.join(" ")}`);
  }
  console.log(`probe: then:   deno task test ${frozen.test.join(" ")}`);
  if (!args.values["run-frozen"]) return;
  for (const words of frozen.train) await task("train", words);
  await task("test", frozen.test);
});

/** Runs `deno task NAME WORDS`; a failure stops the probe. */
function task(name: string, words: string[]): Promise<void> {
  return runProjectTask(name, words, { label: "probe" });
}
