/**
 * One row per experiment for `deno task experiments` (like `dvc exp show`): status (done,
 * training, interrupted at epoch k of n), protocol, model and objective, key metrics by set,
 * training time, date, and every option flattened so runs can be compared.
 * @module
 */
import { join } from "node:path";
import type { TenFoldMetrics } from "./ten_fold.ts";
import type { TestMetrics } from "./test_stage.ts";
import { type EpochRecord, readHistory } from "../train/history.ts";
import { readJsonIfExists } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import { canonicalJson } from "../util/hash.ts";
import type { ArtifactStore } from "./artifact_store.ts";
import { type AnyExperimentRecord, ExperimentIndex } from "./experiments.ts";

/** What the table shows of one experiment. */
export interface ExperimentSummary {
  name: string;
  kind: "single" | "ten-fold";
  /** "done", "training (epoch k of n)", "interrupted at epoch k of n", "not started". */
  status: string;
  protocol: string;
  model: string;
  epochsDone: number;
  epochs: number;
  /** Summed epoch times. */
  trainingSeconds: number;
  updatedAt: string;
  /** Accuracy at the validation-chosen threshold and AUC, by set ("val", "test"), from `test`. */
  metrics: Record<string, { accuracy: number; auc?: number; standardError?: number }>;
  /** Whether the test results are of an unfinished run's checkpoint. */
  testedUnfinished?: boolean;
  /** Every option, flattened to dotted names. */
  params: Record<string, unknown>;
}

/** Flattens nested options to dotted names ("train.adam.learningRate"). */
export function flattenOptions(value: unknown, prefix = ""): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { [prefix]: value };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    Object.assign(out, flattenOptions(v, prefix ? `${prefix}.${k}` : k));
  }
  return out;
}

/** The option names whose values differ between the summaries (sorted). */
export function differingParams(
  summaries: readonly { params: Record<string, unknown> }[],
): string[] {
  const names = new Set(summaries.flatMap((s) => Object.keys(s.params)));
  return [...names].filter((n) =>
    new Set(summaries.map((s) => canonicalJson(s.params[n] ?? null))).size > 1
  ).sort();
}

async function historyOf(store: ArtifactStore, trainKey: string): Promise<EpochRecord[]> {
  const found = await store.inspect("train", trainKey);
  const dir = found.state === "ok" ? found.artifact.dir : store.partialDirOf("train", trainKey);
  return (await readHistory(dir)) ?? [];
}

/** Summarises one experiment record (reading, never changing, its artifacts). */
export async function summarizeExperiment(
  store: ArtifactStore,
  record: AnyExperimentRecord,
): Promise<ExperimentSummary> {
  const options = record.options as {
    split?: { protocol?: string };
    train?: { model?: string; epochs?: number };
  };
  const base = {
    name: record.name,
    protocol: options.split?.protocol ?? "seed",
    model: options.train?.model ?? "?",
    epochs: options.train?.epochs ?? 0,
    updatedAt: record.updatedAt,
    params: flattenOptions(record.options),
    metrics: {} as ExperimentSummary["metrics"],
  };
  if (record.kind === "ten-fold") {
    const index = new ExperimentIndex(store.root);
    let done = 0, seconds = 0;
    for (const fold of record.folds) {
      const r = await index.get(fold).catch(() => undefined);
      if (!r || r.kind === "ten-fold") continue;
      if (r.status === "complete") done++;
      seconds += (await historyOf(store, r.keys.train)).reduce((s, h) => s + h.seconds, 0);
    }
    const summary: ExperimentSummary = {
      ...base,
      kind: "ten-fold",
      status: record.status === "complete"
        ? "done"
        : `training: ${done} of ${record.folds.length} folds done`,
      epochsDone: done,
      trainingSeconds: seconds,
    };
    if (record.testKey) {
      const test = await store.inspect("test", record.testKey);
      if (test.state === "ok") {
        const m = await readJsonIfExists<TenFoldMetrics>(join(test.artifact.dir, "metrics.json"));
        if (m) {
          summary.metrics.test = {
            accuracy: m.mean,
            standardError: m.standardError,
            auc: m.pooled.auc,
          };
        }
      }
    }
    return summary;
  }
  const history = await historyOf(store, record.keys.train);
  const epochsDone = history.length;
  let status: string;
  if (record.status === "complete") status = "done";
  else if (await store.builder("train", record.keys.train)) {
    status = `training (epoch ${epochsDone + 1} of ${base.epochs})`;
  } else if (epochsDone > 0) status = `interrupted at epoch ${epochsDone} of ${base.epochs}`;
  else status = "not started";
  const summary: ExperimentSummary = {
    ...base,
    kind: "single",
    status,
    epochsDone,
    trainingSeconds: history.reduce((s, h) => s + h.seconds, 0),
  };
  if (record.keys.test) {
    const test = await store.inspect("test", record.keys.test);
    if (test.state === "ok") {
      const m = await readJsonIfExists<TestMetrics>(join(test.artifact.dir, "metrics.json"));
      for (const [set, values] of Object.entries(m?.sets ?? {})) {
        summary.metrics[set] = { accuracy: values.atThreshold.accuracy, auc: values.auc };
      }
      summary.testedUnfinished = m?.unfinished;
    }
  }
  return summary;
}

/** Every experiment's summary, fold experiments of ten-fold runs included; damaged records are listed in `problems`. */
export async function summarizeExperiments(
  store: ArtifactStore,
): Promise<{ summaries: ExperimentSummary[]; problems: string[] }> {
  const index = new ExperimentIndex(store.root);
  const summaries: ExperimentSummary[] = [];
  const problems: string[] = [];
  for (const name of await index.names()) {
    try {
      summaries.push(await summarizeExperiment(store, await index.require(name)));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push(error.message);
    }
  }
  return { summaries, problems };
}
