/**
 * `deno task report [NAME...]`: one self-contained HTML page for the named experiments (all by
 * default).
 * @module
 */
import { dirname, join } from "node:path";
import { exportExperiment } from "../lib/compare/export_experiment.ts";
import { artifactsRoot, lfwDataRoot } from "../lib/config/defaults.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import { ExperimentIndex } from "../lib/pipeline/experiments.ts";
import {
  type ExperimentData,
  loadExperimentData,
  loadTenFoldData,
  type TenFoldData,
} from "../lib/report/experiment_data.ts";
import { buildReport } from "../lib/report/html_report.ts";
import { COMMITTED_RESULTS_DIR, readResultRecords } from "../lib/pipeline/result_record.ts";
import { loadPublishedRocs } from "../lib/report/published_roc.ts";
import { writeFileAtomic } from "../lib/util/atomic.ts";
import { assertExportFolder, assertReportReplaceable } from "../lib/pipeline/output_guard.ts";
import {
  assertFilePath,
  parseTaskArgs,
  pathOption,
  runTask,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task report [NAME...] [options]
Writes one self-contained HTML page (default: all experiments).
  --out FILE            where to write it (default: artifacts/report/report.html)
  --published-roc DIR   published View 2 ROC curves (default: $FACE_COMPARER_LFW/published-roc)
  --published           draw the published curves for every experiment, not only View 2 ones
  --with-compare-pages  also write each experiment's browser comparison page beside the report
                        (5-10 MB each, 20-38 MB for the Fisher vector models;
                        \`deno task export NAME DIR\` writes one on its own)`;

await runTask("report", async () => {
  const args = parseTaskArgs(Deno.args, {
    out: { type: "string" },
    "published-roc": { type: "string" },
    published: { type: "boolean" },
    "with-compare-pages": { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  const store = new ArtifactStore(artifactsRoot());
  const out = pathOption(args, "out") ?? join(store.root, "report", "report.html");
  assertFilePath(out, "--out");
  await assertReportReplaceable(out); // an earlier report, never someone's file
  const index = new ExperimentIndex(store.root);
  let names = args.positionals.map((n) => validateExperimentName(n));
  if (names.length === 0) {
    // By default every experiment, with the folds of a ten-fold run shown inside it.
    // A damaged record is reported and skipped, so one bad file does not hide every experiment.
    const all: string[] = [];
    const records = [];
    for (const n of await index.names()) {
      try {
        records.push(await index.require(n));
        all.push(n);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        console.warn(`warning: ${error.message}; left out of the report`);
      }
    }
    const inGroups = new Set(records.flatMap((r) => (r.kind === "ten-fold" ? r.folds : [])));
    names = all.filter((n) => !inGroups.has(n));
  }
  if (names.length === 0) {
    throw new UserError("no experiments yet: train one with `deno task train NAME`");
  }
  const experiments: (ExperimentData | TenFoldData)[] = [];
  for (const name of names) {
    const record = await index.require(name);
    experiments.push(
      record.kind === "ten-fold"
        ? await loadTenFoldData(store, record)
        : await loadExperimentData(store, name),
    );
  }
  const publishedDir = pathOption(args, "published-roc") ?? join(lfwDataRoot(), "published-roc");
  const wantsPublished = Boolean(args.values.published) ||
    experiments.some((e) =>
      (e.record.options.split as { protocol?: string })?.protocol === "lfw-view2"
    );
  const published = wantsPublished ? await loadPublishedRocs(publishedDir) : undefined;
  // With --with-compare-pages, each trained experiment gets its standalone comparison page
  // (5-38 MB each: TensorFlow.js and the model inlined) beside the report.
  const comparePages: Record<string, string> = {};
  for (const e of args.values["with-compare-pages"] ? experiments : []) {
    if (e.record.kind === "ten-fold" || !(e as ExperimentData).train) continue;
    const folder = `compare_${e.record.name}`;
    // The report's own earlier page is replaced; files it did not write are refused.
    await assertExportFolder(join(dirname(out), folder), { replace: true, what: "the folder" });
    await exportExperiment(store, e.record.name, { outDir: join(dirname(out), folder) });
    comparePages[e.record.name] = `${folder}/compare.html`;
  }
  const html = await buildReport(experiments, {
    publishedResults: await readResultRecords(COMMITTED_RESULTS_DIR),
    published,
    publishedForAll: Boolean(args.values.published),
    comparePages,
  });
  await writeFileAtomic(out, new TextEncoder().encode(html));
  console.log(`report: ${names.length} experiment(s) in ${out}`);
});
