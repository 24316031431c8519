/**
 * Everything the report shows about one experiment, read from its artifacts.
 * @module
 */
import { join } from "node:path";
import type { SplitStats } from "../data/skew_stats.ts";
import type { ErrorLists } from "../evaluate/error_gallery.ts";
import type { Artifact, ArtifactStore } from "../pipeline/artifact_store.ts";
import {
  ExperimentIndex,
  type ExperimentRecord,
  type TenFoldRecord,
} from "../pipeline/experiments.ts";
import type { TenFoldMetrics } from "../pipeline/ten_fold.ts";
import { SPLIT_FILES } from "../pipeline/split_stage.ts";
import { TEST_FILES, type TestMetrics } from "../pipeline/test_stage.ts";
import { checkRecordArtifacts } from "../pipeline/record_artifacts.ts";
import { trainedSplitOf } from "../pipeline/trained_experiment.ts";
import type { EpochRecord } from "../train/history.ts";
import { TRAIN_FILES } from "../train/trainer.ts";
import { notAnObject, readArtifactJson } from "../util/damaged_file.ts";
import { UserError } from "../util/errors.ts";

/** An experiment's artifacts and results. */
export interface ExperimentData {
  record: ExperimentRecord;
  prepared: Artifact;
  split: Artifact;
  /** Absent while training is unfinished. */
  train?: Artifact;
  /** Absent until `deno task test NAME` ran. */
  test?: Artifact;
  history: EpochRecord[];
  /** "done", "training (epoch k of n)" while a process trains it, else "interrupted at epoch k of n". */
  statusText: string;
  stats: SplitStats;
  metrics?: TestMetrics;
  /** ROC points [fpr, tpr, threshold] by set. */
  roc?: Record<string, [number, number, number | null][]>;
  errors?: ErrorLists & { set: string; threshold: number };
  galleries: { falsePositives?: Uint8Array; falseNegatives?: Uint8Array };
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch {
    return undefined;
  }
}

/** Loads experiment `name`; a UserError says which task to run when something is missing. */
export async function loadExperimentData(
  store: ArtifactStore,
  name: string,
): Promise<ExperimentData> {
  const record = await new ExperimentIndex(store.root).requireSingle(name);
  const prepared = await store.load("prepare", record.keys.prepare);
  const split = await store.load("split", record.keys.split);
  if (!prepared || !split) {
    throw new UserError(
      `the data of experiment "${name}" is gone: \`deno task train ${name}\` rebuilds it`,
    );
  }
  const train = await store.load("train", record.keys.train);
  const trainDir = train?.dir ?? store.partialDirOf("train", record.keys.train);
  // A finished artifact's files are mended by a full check; an unfinished run's history is
  // rewritten from its checkpoint by the next epoch.
  const history = (await readArtifactJson<EpochRecord[]>(join(trainDir, TRAIN_FILES.historyJson), {
    optional: true,
    problem: (v) => Array.isArray(v) ? undefined : "not a list of epochs",
    repair: train
      ? undefined
      : `\`deno task train ${name}\` rewrites it from the run's checkpoint ` +
        `after its next epoch (or --force starts the run again)`,
  })) ?? [];
  const stats = await readArtifactJson<SplitStats>(join(split.dir, SPLIT_FILES.stats), {
    problem: notAnObject,
  });
  const test = record.keys.test ? await store.load("test", record.keys.test) : undefined;
  // Never another experiment's model or results under this name.
  checkRecordArtifacts(record, {
    prepared,
    split,
    train,
    test,
    trainedSplit: await trainedSplitOf(store, train, record.keys.split),
  });
  const epochs = (record.options.train as { epochs?: number } | undefined)?.epochs ?? "?";
  const statusText = record.status === "complete"
    ? "done"
    : (await store.builder("train", record.keys.train))
    ? `training (epoch ${history.length + 1} of ${epochs})`
    : `interrupted at epoch ${history.length} of ${epochs}`;
  const data: ExperimentData = {
    record,
    prepared,
    split,
    train,
    test,
    history,
    statusText,
    stats,
    galleries: {},
  };
  if (test) {
    const read = <T>(file: string) =>
      readArtifactJson<T>(join(test.dir, file), { optional: true, problem: notAnObject });
    data.metrics = await read(TEST_FILES.metrics);
    data.roc = await read(TEST_FILES.roc);
    data.errors = await read(TEST_FILES.errors);
    data.galleries = {
      falsePositives: await readIfExists(join(test.dir, TEST_FILES.falsePositives)),
      falseNegatives: await readIfExists(join(test.dir, TEST_FILES.falseNegatives)),
    };
  }
  return data;
}

/** A ten-fold View 2 experiment: its folds and, once evaluated, the ten-fold metrics. */
export interface TenFoldData {
  record: TenFoldRecord;
  folds: ExperimentData[];
  metrics?: TenFoldMetrics;
  roc?: Record<string, [number, number, number | null][]>;
}

/** Loads a ten-fold experiment and those of its folds that exist. */
export async function loadTenFoldData(
  store: ArtifactStore,
  record: TenFoldRecord,
): Promise<TenFoldData> {
  const index = new ExperimentIndex(store.root);
  const folds: ExperimentData[] = [];
  for (const name of record.folds) {
    if (await index.get(name)) folds.push(await loadExperimentData(store, name));
  }
  const test = record.testKey ? await store.load("test", record.testKey) : undefined;
  return {
    record,
    folds,
    metrics: test
      ? await readArtifactJson(join(test.dir, "metrics.json"), {
        optional: true,
        problem: notAnObject,
      })
      : undefined,
    roc: test
      ? await readArtifactJson(join(test.dir, "roc.json"), { optional: true, problem: notAnObject })
      : undefined,
  };
}
