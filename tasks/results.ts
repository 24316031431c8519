/**
 * `deno task results`: lists and filters the result records that `test` writes, promotes one
 * into the repository's `results/` folder, and regenerates the README's results table from the
 * promoted records.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { artifactsRoot } from "../lib/config/defaults.ts";
import {
  CHOSEN_BY,
  COMMITTED_RESULTS_DIR,
  promotedName,
  readResultRecords,
  type ResultRecord,
  resultsDir,
  type StoredResult,
} from "../lib/pipeline/result_record.ts";
import {
  markdownTable,
  replaceMarkedTable,
  RESULTS_MARKERS,
  type TableMarkers,
  textTable,
} from "../lib/pipeline/results_table.ts";
import { GOALS_MARKERS, goalsMarkdown } from "../lib/pipeline/goals_table.ts";
import {
  FISHER_PEER_MARKERS,
  fisherPeerMarkdown,
  readFisherPeerRecord,
} from "../lib/bench/fisher_peer.ts";
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "../lib/util/atomic.ts";
import {
  choiceOption,
  parseTaskArgs,
  runTask,
  stringOption,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";
import {
  COMMITTED_ROBUSTNESS_DIR,
  readRobustnessRecord,
  readRobustnessRecords,
  ROBUSTNESS_MARKERS,
  robustnessMarkdown,
} from "../lib/bench/robustness_record.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const COMMITTED_RESULTS = COMMITTED_RESULTS_DIR;

const HELP = `Usage: deno task results [options]
Lists the result records: those \`deno task test\` wrote on this machine (in the artifact
store) and those committed in results/ (marked *).
  --experiment S    only records whose experiment name contains S
  --model S         only records of model S
  --protocol P      only records of protocol P (seed | lfw-view1 | lfw-view2)
  --chosen-by D     only records whose design was chosen on D (${CHOSEN_BY.join(" | ")})
  --committed       only the committed records (results/)
  --json            print the records as JSON
  --markdown        print the Markdown results table
  --promote ID      copy the store's record ID (NAME@KEY) into results/ as NAME.json
  --as NAME         with --promote: the file name in results/ (default: the experiment's)
  --force           with --promote: replace a committed record of another result
  --promote-robustness NAME
                    copy the robustness benchmark of experiment NAME
                    (artifacts/bench/robustness_NAME.json, from \`deno task bench --robustness NAME\`)
                    into results/robustness/NAME.json
  --promote-fisher-peer
                    copy the record of \`deno task bench --fisher-peer\` (artifacts/bench/fisher_peer.json)
                    into results/bench/fisher_peer.json
  --update-readme   regenerate the README's results and goals tables from results/*.json, its
                    robustness table from results/robustness/*.json and its comparison with the
                    Python peer from results/bench/fisher_peer.json`;

await runTask("results", async () => {
  const args = parseTaskArgs(Deno.args, {
    experiment: { type: "string" },
    model: { type: "string" },
    protocol: { type: "string" },
    "chosen-by": { type: "string" },
    committed: { type: "boolean" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    promote: { type: "string" },
    "promote-robustness": { type: "string" },
    "promote-fisher-peer": { type: "boolean" },
    as: { type: "string" },
    force: { type: "boolean" },
    "update-readme": { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}" (see --help)`);
  }
  const promote = stringOption(args, "promote");
  if (stringOption(args, "as") !== undefined && promote === undefined) {
    throw new UserError("--as goes with --promote");
  }
  if (promote !== undefined) return await promoteRecord(promote, args);
  const robustness = stringOption(args, "promote-robustness");
  if (robustness !== undefined) return await promoteRobustness(robustness);
  if (args.values["promote-fisher-peer"]) return await promoteFisherPeer();
  if (args.values["update-readme"]) return await updateReadme();

  const stored = args.values.committed ? [] : await readResultRecords(resultsDir(artifactsRoot()));
  const committed = await readResultRecords(COMMITTED_RESULTS);
  const chosenBy = choiceOption(args, "chosen-by", CHOSEN_BY);
  const filters: ((r: ResultRecord) => boolean)[] = [];
  const experiment = stringOption(args, "experiment");
  if (experiment) filters.push((r) => r.experiment.includes(experiment));
  const model = stringOption(args, "model");
  if (model) filters.push((r) => r.model === model);
  const protocol = stringOption(args, "protocol");
  if (protocol) filters.push((r) => r.protocol === protocol);
  if (chosenBy) filters.push((r) => r.chosenBy === chosenBy);
  const keep = (list: StoredResult[]) => list.filter((s) => filters.every((f) => f(s.record)));
  const committedIds = new Set(committed.map((c) => c.record.id));
  const all = [
    ...keep(committed),
    ...keep(stored).filter((s) => !committedIds.has(s.record.id)),
  ];
  if (args.values.json) return console.log(JSON.stringify(all.map((s) => s.record), null, 2));
  if (args.values.markdown) return console.log(markdownTable(all));
  console.log(
    textTable(all).split("\n").map((line, i) =>
      i === 0 ? `  ${line}` : `${committedIds.has(line.split(" ")[0]) ? "*" : " "} ${line}`
    ).join("\n"),
  );
});

/** Copies the store's record `id` into results/. */
async function promoteRecord(id: string, args: ReturnType<typeof parseTaskArgs>): Promise<void> {
  const stored = await readResultRecords(resultsDir(artifactsRoot()));
  const found = stored.find((s) => s.record.id === id || s.record.experiment === id);
  const same = stored.filter((s) => s.record.experiment === id);
  if (!found) {
    throw new UserError(
      `--promote ${id}: no such result record in ${
        resultsDir(artifactsRoot())
      } (\`deno task results\` lists them)`,
    );
  }
  if (found.record.id !== id && same.length > 1) {
    throw new UserError(
      `--promote ${id}: ${same.length} records of that experiment; name one: ${
        same.map((s) => s.record.id).join(", ")
      }`,
    );
  }
  const file = promotedName(stringOption(args, "as") ?? found.record.experiment);
  const target = join(COMMITTED_RESULTS, file);
  const existing = await readJsonIfExists<ResultRecord>(target).catch(() => undefined);
  if (existing && existing.id !== found.record.id && !args.values.force) {
    throw new UserError(
      `results/${file} holds another result (${
        existing.id ?? "not a record"
      }); use --as NAME, or --force to replace it`,
    );
  }
  await writeJsonAtomic(target, found.record);
  console.log(
    `results: ${found.record.id} -> results/${file}; \`deno task results --update-readme\` puts it in the README's table`,
  );
}

/** Copies the robustness benchmark of experiment `name` into results/robustness/. */
async function promoteRobustness(name: string): Promise<void> {
  const file = `${validateExperimentName(name)}.json`;
  const source = join(artifactsRoot(), "bench", `robustness_${file}`);
  try {
    await Deno.stat(source);
  } catch {
    throw new UserError(
      `--promote-robustness ${name}: ${source} not found; run \`deno task bench --robustness ${name}\` first`,
    );
  }
  const record = await readRobustnessRecord(source);
  await writeJsonAtomic(join(COMMITTED_ROBUSTNESS_DIR, file), record);
  console.log(
    `results: ${source} -> results/robustness/${file}; \`deno task results --update-readme\` puts it in the README`,
  );
}

/** Copies the record of `bench --fisher-peer` into results/bench/. */
async function promoteFisherPeer(): Promise<void> {
  const source = join(artifactsRoot(), "bench", "fisher_peer.json");
  try {
    await Deno.stat(source);
  } catch {
    throw new UserError(
      `--promote-fisher-peer: ${source} not found; run \`deno task bench --fisher-peer\` first`,
    );
  }
  const record = await readFisherPeerRecord(source);
  await writeJsonAtomic(join(COMMITTED_RESULTS, "bench", "fisher_peer.json"), record);
  console.log(
    `results: ${source} -> results/bench/fisher_peer.json; \`deno task results --update-readme\` puts it in the README`,
  );
}

/**
 * Rewrites the README's results, goals, robustness and Python-peer tables from the committed
 * records.
 */
async function updateReadme(): Promise<void> {
  const path = join(ROOT, "README.md");
  const text = await Deno.readTextFile(path);
  const results = await readResultRecords(COMMITTED_RESULTS);
  const tables: [string, TableMarkers][] = [
    [markdownTable(results), RESULTS_MARKERS],
    [goalsMarkdown(results), GOALS_MARKERS],
    [robustnessMarkdown(await readRobustnessRecords()), ROBUSTNESS_MARKERS],
    [
      fisherPeerMarkdown(
        await readFisherPeerRecord(join(COMMITTED_RESULTS, "bench", "fisher_peer.json")),
      ),
      FISHER_PEER_MARKERS,
    ],
  ];
  const updated = tables.reduce(
    (document, [table, markers]) => replaceMarkedTable(document, table, markers),
    text,
  );
  if (updated === text) return console.log("results: the README's tables are up to date");
  await writeFileAtomic(path, new TextEncoder().encode(updated));
  console.log(
    "results: README.md's tables regenerated from results/*.json, results/robustness/*.json and results/bench/fisher_peer.json",
  );
}
