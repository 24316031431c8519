/**
 * `deno task experiments`: every experiment in one table (like `dvc exp show`), `--json` for
 * scripts; `deno task experiments diff A B`: the options and metrics that differ;
 * `deno task experiments rm NAME`: forgets an experiment (its artifacts stay in the store).
 * Reading tasks change nothing.
 * @module
 */
import { artifactsRoot } from "../lib/config/defaults.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import {
  differingParams,
  type ExperimentSummary,
  summarizeExperiment,
  summarizeExperiments,
} from "../lib/pipeline/experiment_summary.ts";
import { ExperimentIndex } from "../lib/pipeline/experiments.ts";
import { canonicalJson } from "../lib/util/hash.ts";
import { parseTaskArgs, runTask, validateExperimentName } from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";
import { formatSeconds } from "../lib/util/progress.ts";

const HELP = `Usage: deno task experiments [--json]
       deno task experiments diff A B
       deno task experiments rm NAME
       deno task experiments mv OLD NEW
Lists every experiment: status (done, training, interrupted at epoch k of n), protocol, model,
the options that differ between the listed runs, validation and test accuracy (at the threshold
chosen on validation) and AUC from \`deno task test\`, training time and date.
  --json   the same as JSON (every option, flattened)`;

const pct = (x: number | undefined) => (x === undefined ? "–" : `${(100 * x).toFixed(2)}%`);

function metricCell(s: ExperimentSummary, set: string): string {
  const m = s.metrics[set];
  if (!m) return "–";
  const se = m.standardError !== undefined ? ` +- ${pct(m.standardError)}` : "";
  return `${pct(m.accuracy)}${se}${m.auc !== undefined ? ` (${m.auc.toFixed(3)})` : ""}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

await runTask("experiments", async () => {
  const args = parseTaskArgs(Deno.args, { json: { type: "boolean" } });
  if (args.values.help) return console.log(HELP);
  const store = new ArtifactStore(artifactsRoot());
  const index = new ExperimentIndex(store.root);
  const [command, ...rest] = args.positionals;
  if (command === "diff") {
    if (rest.length !== 2) throw new UserError("usage: deno task experiments diff A B");
    const [a, b] = await Promise.all(
      rest.map(async (n) =>
        summarizeExperiment(store, await index.require(validateExperimentName(n)))
      ),
    );
    const lines: string[][] = [["", a.name, b.name]];
    for (const name of differingParams([a, b])) {
      lines.push([
        name,
        canonicalJson(a.params[name] ?? null),
        canonicalJson(b.params[name] ?? null),
      ]);
    }
    for (const set of new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])) {
      lines.push([`${set} accuracy (AUC)`, metricCell(a, set), metricCell(b, set)]);
    }
    lines.push(["status", a.status, b.status]);
    lines.push([
      "training time",
      formatSeconds(a.trainingSeconds),
      formatSeconds(b.trainingSeconds),
    ]);
    console.log(table(lines));
    return;
  }
  if (command === "rm") {
    if (rest.length !== 1) throw new UserError("usage: deno task experiments rm NAME");
    const name = validateExperimentName(rest[0]);
    const record = await index.remove(name);
    console.log(
      `experiments: forgot "${name}"${
        record.kind === "ten-fold" ? " (its fold experiments stay listed)" : ""
      }; its artifacts stay in ${store.root} (the same training command would find them again)`,
    );
    return;
  }
  if (command === "mv") {
    if (rest.length !== 2) throw new UserError("usage: deno task experiments mv OLD NEW");
    const [from, to] = rest.map(validateExperimentName);
    await index.rename(from, to);
    console.log(`experiments: "${from}" is now "${to}"`);
    return;
  }
  if (command !== undefined) {
    throw new UserError(`experiments: unknown command "${command}" (diff, rm, mv, or none)`);
  }
  const { summaries, problems } = await summarizeExperiments(store);
  for (const p of problems) console.warn(`warning: ${p}`);
  if (args.values.json) return console.log(JSON.stringify(summaries, null, 2));
  if (summaries.length === 0) {
    return console.log("experiments: none yet; train one with `deno task train NAME`");
  }
  const differing = differingParams(summaries).filter((n) =>
    !["split.protocol", "train.model"].includes(n)
  );
  const rows = [[
    "name",
    "status",
    "protocol",
    "model",
    ...differing,
    "val acc (AUC)",
    "test acc (AUC)",
    "training",
    "updated",
  ]];
  for (const s of summaries) {
    rows.push([
      s.name,
      s.status,
      s.protocol,
      s.model,
      ...differing.map((n) => s.params[n] === undefined ? "–" : String(s.params[n])),
      metricCell(s, "val"),
      metricCell(s, "test") + (s.testedUnfinished ? " (unfinished)" : ""),
      formatSeconds(s.trainingSeconds),
      s.updatedAt.slice(0, 16).replace("T", " "),
    ]);
  }
  console.log(table(rows));
});
