/**
 * Result records, like DVC's metrics files or an MLflow run: every `test` writes one small JSON
 * file that says what was measured (every metric with its number of pairs), on what (experiment,
 * model, every option, protocol and folds, images and crop), by which code (commit, dirty tree,
 * code fingerprints), where (backend, machine), how long it took, the commands that reproduce
 * it, and what chose the design (`chosenBy`). Records live in the store's `results/` folder;
 * `deno task results --promote` copies one into the repository's `results/` folder, from which
 * the README's results table is generated.
 *
 * @example
 * ```ts
 * const record = await makeResultRecord(store, { name: "v1", testArtifact, testCommand, provenance });
 * await saveResultRecord(store.root, record);
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import { gitState } from "./code_fingerprint.ts";
import {
  type AnyExperimentRecord,
  ExperimentIndex,
  type ExperimentRecord,
  type TenFoldRecord,
} from "./experiments.ts";
import { TEST_FILES } from "./stages.ts";
import { type EpochRecord, readHistory } from "../train/history.ts";
import { readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";

/**
 * What chose a result's design (model, options, crop, fusion, threshold rule): `view1` (LFW
 * View 1, the development view), `validation` (held-out validation people only), `view2-test`
 * (View 2's test folds were looked at: an optimistic figure), `none` (fixed beforehand, e.g. a
 * probe's candidate), `unstated` (nobody said).
 */
export const CHOSEN_BY = ["view1", "validation", "view2-test", "none", "unstated"] as const;
/** One of {@linkcode CHOSEN_BY}. */
export type ChosenBy = typeof CHOSEN_BY[number];

/** A set's figures (rates 0-1; null where the set cannot support the figure). */
export interface ResultSetMetrics {
  pairs: number;
  accuracy: number;
  auc: number;
  /** Equal error rate; null where not computed (a single fold of a ten-fold run). */
  eer: number | null;
  tarAtFar1: number | null;
  tarAtFar01: number | null;
}

/** The headline of a result, whatever its protocol. */
export interface ResultHeadline {
  /** The set the headline is measured on: `test`, or `view2` for a ten-fold run. */
  set: string;
  accuracy: number;
  /** Standard error of the accuracy: over folds for ten-fold runs, binomial otherwise. */
  standardError: number;
  auc: number;
  pairs: number;
}

/** One result record (`format` 1). */
export interface ResultRecord {
  format: 1;
  /** `<experiment>@<first 12 characters of the test artifact's key>`. */
  id: string;
  experiment: string;
  kind: "single" | "ten-fold";
  model: string;
  protocol: string;
  /** View 2 folds evaluated (ten-fold) or trained for (single, when a fold was given). */
  folds: number[];
  images: string;
  crop: { box: number[]; size: number; grey: boolean };
  /** The experiment's recorded options (prepare, split, train, compute) and the test's. */
  options: { experiment: Record<string, unknown>; test: Record<string, unknown> };
  chosenBy: ChosenBy;
  /** Where the choice was made (a probe record's id, a document), when said. */
  chosenIn?: string;
  headline: ResultHeadline;
  /** Per set (single runs: `train`, `val`, `test`) or per fold (`fold1`..`fold10`, `pooled`). */
  metrics: Record<string, ResultSetMetrics>;
  /** Decision threshold(s) on the model's probability, chosen on validation pairs. */
  thresholds: number[];
  git?: { commit: string; dirty: boolean };
  code: { train: string[]; test: string };
  compute: { training?: unknown; testBackend: string };
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; host: string };
  /** Seconds of training (an ensemble's with its members': its whole budget) and of `test`. */
  seconds: { training: number; test: number };
  /**
   * A network's training curve (a run trained by epochs): the validation figures after each
   * epoch at the minutes of training done by then. Absent for one-pass fits and ten-fold runs.
   */
  curve?: TrainingCurvePoint[];
  commands: { train: string[]; test: string };
  createdAt: string;
}

/** One epoch of {@linkcode ResultRecord.curve}. */
export interface TrainingCurvePoint {
  epoch: number;
  /** Minutes of training from the start of the run to the end of this epoch. */
  minutes: number;
  valAccuracy: number;
  valAuc?: number;
}

/** The training curve of a history (undefined for a one-pass fit: a single "epoch"). */
export function trainingCurve(
  history: readonly EpochRecord[] | undefined,
): TrainingCurvePoint[] | undefined {
  if (!history || history.length < 2) return undefined;
  let seconds = 0;
  return history.map((e) => {
    seconds += e.seconds;
    return {
      epoch: e.epoch,
      minutes: round(seconds / 60, 2),
      valAccuracy: round(e.valAccuracy, 4),
      ...(e.valAuc === undefined ? {} : { valAuc: round(e.valAuc, 4) }),
    };
  });
}

/** Where a result record was made from and what chose its design. */
export interface ResultProvenance {
  /** The `test` command as typed. */
  testCommand: string;
  chosenBy: ChosenBy;
  chosenIn?: string;
  /** The test's backend (`tf.getBackend()`). */
  testBackend: string;
}

/** The repository's folder of committed (promoted) result records, which the README shows. */
export const COMMITTED_RESULTS_DIR = fileURLToPath(new URL("../../results", import.meta.url));

/** The store folder of result records. */
export function resultsDir(root: string): string {
  return join(root, "results");
}

/** Makes the result record of a finished `test` of experiment `name`. */
export async function makeResultRecord(
  store: ArtifactStore,
  name: string,
  testArtifact: Artifact,
  provenance: ResultProvenance,
): Promise<ResultRecord> {
  const record = await new ExperimentIndex(store.root).require(name);
  const measured = record.kind === "ten-fold"
    ? await tenFoldFigures(store, record, testArtifact)
    : await singleFigures(store, record, testArtifact);
  const options = record.options as {
    images?: string;
    prepare?: { box: number[]; size: number; grey: boolean };
    split?: { protocol: string; fold?: number };
    train?: { model: string };
  };
  const prepare = options.prepare ?? measured.prepare;
  return {
    format: 1,
    id: `${name}@${testArtifact.key.slice(0, 12)}`,
    experiment: name,
    kind: record.kind === "ten-fold" ? "ten-fold" : "single",
    model: options.train?.model ?? "?",
    protocol: options.split?.protocol ?? "?",
    folds: measured.folds,
    images: options.images ?? "?",
    crop: { box: prepare.box, size: prepare.size, grey: prepare.grey },
    options: { experiment: record.options, test: testArtifact.manifest.params as never },
    chosenBy: provenance.chosenBy,
    ...(provenance.chosenIn ? { chosenIn: provenance.chosenIn } : {}),
    headline: measured.headline,
    metrics: measured.metrics,
    thresholds: measured.thresholds,
    git: (await gitState()) ?? testArtifact.manifest.git,
    code: { train: measured.trainCode, test: testArtifact.manifest.code.hash },
    compute: {
      training: (record.options as { compute?: unknown }).compute,
      testBackend: provenance.testBackend,
    },
    machine: await machineFacts(),
    seconds: {
      training: round(measured.trainingSeconds, 1),
      test: round(testArtifact.manifest.durationSeconds, 1),
    },
    ...(measured.curve ? { curve: measured.curve } : {}),
    commands: { train: measured.trainCommands, test: provenance.testCommand },
    createdAt: new Date().toISOString(),
  };
}

interface Figures {
  headline: ResultHeadline;
  metrics: Record<string, ResultSetMetrics>;
  thresholds: number[];
  folds: number[];
  trainCode: string[];
  trainCommands: string[];
  trainingSeconds: number;
  prepare: { box: number[]; size: number; grey: boolean };
  curve?: TrainingCurvePoint[];
}

interface StoredSetMetrics {
  pairs: number;
  atThreshold: { accuracy: number };
  auc: number;
  eer: number;
  tarAtFar1: number | null;
  tarAtFar01: number | null;
}

/** The figures of a single experiment's test artifact. */
async function singleFigures(
  store: ArtifactStore,
  record: ExperimentRecord,
  test: Artifact,
): Promise<Figures> {
  const metrics = await readJsonIfExists<
    { threshold: number; sets: Record<string, StoredSetMetrics> }
  >(
    join(test.dir, TEST_FILES.metrics),
  );
  if (!metrics?.sets) throw new UserError(`${join(test.dir, TEST_FILES.metrics)} is missing`);
  const sets = Object.fromEntries(
    Object.entries(metrics.sets).map(([set, m]) => [set, setFigures(m)]),
  );
  const head = sets.test ?? sets.val;
  const train = await store.load("train", record.keys.train);
  const prepare = (await store.load("prepare", record.keys.prepare))?.manifest.params as Figures[
    "prepare"
  ];
  const fold = (record.options as { split?: { fold?: number } }).split?.fold;
  return {
    headline: {
      set: sets.test ? "test" : "val",
      accuracy: head.accuracy,
      standardError: binomialError(head.accuracy, head.pairs),
      auc: head.auc,
      pairs: head.pairs,
    },
    metrics: sets,
    thresholds: [metrics.threshold],
    folds: fold === undefined ? [] : [fold],
    trainCode: [train?.manifest.code.hash ?? "?"],
    trainCommands: [trainCommand(record)],
    trainingSeconds: trainingSeconds(train),
    prepare,
    curve: train ? trainingCurve(await readHistory(train.dir)) : undefined,
  };
}

/** The figures of a ten-fold evaluation artifact, with the folds' training facts. */
async function tenFoldFigures(
  store: ArtifactStore,
  record: TenFoldRecord,
  test: Artifact,
): Promise<Figures> {
  const path = join(test.dir, "metrics.json");
  const m = await readJsonIfExists<{
    folds: { fold: number; pairs: number; accuracy: number; threshold: number; auc: number }[];
    mean: number;
    standardError: number;
    pooled: Omit<ResultSetMetrics, "accuracy">;
  }>(path);
  if (!m?.folds) throw new UserError(`${path} is missing`);
  const index = new ExperimentIndex(store.root);
  const foldRecords = await Promise.all(record.folds.map((f) => index.requireSingle(f)));
  const trains = await Promise.all(foldRecords.map((r) => store.load("train", r.keys.train)));
  const prepare = (await store.load("prepare", foldRecords[0].keys.prepare))?.manifest
    .params as Figures["prepare"];
  const metrics: Record<string, ResultSetMetrics> = {};
  for (const f of m.folds) {
    metrics[`fold${f.fold}`] = {
      pairs: f.pairs,
      accuracy: f.accuracy,
      auc: f.auc,
      eer: null,
      tarAtFar1: null,
      tarAtFar01: null,
    };
  }
  metrics.pooled = { ...m.pooled, accuracy: m.mean };
  return {
    headline: {
      set: "view2",
      accuracy: m.mean,
      standardError: m.standardError,
      auc: m.pooled.auc,
      pairs: m.pooled.pairs,
    },
    metrics,
    thresholds: m.folds.map((f) => f.threshold),
    folds: m.folds.map((f) => f.fold),
    trainCode: [...new Set(trains.map((t) => t?.manifest.code.hash ?? "?"))],
    trainCommands: [trainCommand(record, prepare)],
    trainingSeconds: trains.reduce((s, t) => s + trainingSeconds(t), 0),
    prepare,
  };
}

function setFigures(m: StoredSetMetrics): ResultSetMetrics {
  return {
    pairs: m.pairs,
    accuracy: m.atThreshold.accuracy,
    auc: m.auc,
    eer: m.eer,
    tarAtFar1: m.tarAtFar1,
    tarAtFar01: m.tarAtFar01,
  };
}

/** The training time of a train artifact; an ensemble's includes its members' (its budget). */
export function trainingSeconds(train: Artifact | undefined): number {
  const info = train?.manifest.info as
    | { trainingSeconds?: number; membersTrainingSeconds?: number }
    | undefined;
  return (info?.trainingSeconds ?? train?.manifest.durationSeconds ?? 0) +
    (info?.membersTrainingSeconds ?? 0);
}

/** The standard error of an accuracy measured on `n` pairs (binomial). */
export function binomialError(accuracy: number, n: number): number {
  return n > 0 ? Math.sqrt((accuracy * (1 - accuracy)) / n) : NaN;
}

/**
 * The `train` command that reproduces an experiment: the one recorded when the experiment was
 * trained, or else one written from its recorded options (the data options and the model; the
 * training options of networks are not all restated then, which the command says). A ten-fold
 * record's crop is its folds' (`prepare`), which its own options do not hold.
 */
export function trainCommand(
  record: AnyExperimentRecord,
  prepare?: { box: number[]; size: number },
): string {
  const recorded = (record as { command?: string }).command;
  if (recorded) return recorded;
  const o = record.options as {
    images?: string;
    prepare?: { box: number[]; size: number };
    split?: { protocol: string; fold?: number; valPairs: number; seed: number };
    train?: { model: string; epochs?: number; members?: string[] };
  };
  const words = ["deno task train", record.name];
  if (o.train?.members) words.push("--members", o.train.members.join(","));
  else if (o.train) words.push("--model", o.train.model);
  if (o.images) words.push("--images", o.images);
  if (o.split) {
    words.push("--protocol", o.split.protocol);
    if (o.split.fold !== undefined && record.kind !== "ten-fold") {
      words.push("--fold", String(o.split.fold));
    }
    words.push("--val-pairs", String(o.split.valPairs), "--seed", String(o.split.seed));
  }
  const crop = o.prepare ?? prepare;
  if (crop) words.push("--box", crop.box.join(","), "--size", String(crop.size));
  return words.join(" ") + "  # written from the recorded options";
}

/** Facts of this machine that a speed figure depends on. */
export async function machineFacts(): Promise<ResultRecord["machine"]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? Deno.build.arch;
  return {
    cpu,
    cores: navigator.hardwareConcurrency || 1,
    memoryGiB: round(Deno.systemMemoryInfo().total / 2 ** 30, 1),
    os: `${Deno.build.os}-${Deno.build.arch}`,
    host: Deno.hostname(),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Writes a record into the store's results folder; returns its path. */
export async function saveResultRecord(root: string, record: ResultRecord): Promise<string> {
  const path = join(resultsDir(root), `${record.id}.json`);
  await writeJsonAtomic(path, record);
  return path;
}

/** A record file read back, with where it lies. */
export interface StoredResult {
  path: string;
  record: ResultRecord;
}

/**
 * Every record in folder `dir` (none when the folder is missing). A file that is not a result
 * record is a UserError naming it.
 */
export async function readResultRecords(dir: string): Promise<StoredResult[]> {
  const out: StoredResult[] = [];
  for (const name of await jsonFileNames(dir)) {
    const path = join(dir, name);
    let record: ResultRecord | undefined;
    try {
      record = await readJsonIfExists<ResultRecord>(path);
    } catch (error) {
      throw new UserError(`result record ${path} is damaged (${(error as Error).message})`);
    }
    if (!isResultRecord(record)) {
      throw new UserError(`${path} is not a result record (format 1); move it away`);
    }
    out.push({ path, record });
  }
  return out;
}

/** The `.json` files directly in `dir`, sorted by name; none when `dir` does not exist. */
export async function jsonFileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort();
}

/** Whether `x` has the fields of a format-1 result record. */
export function isResultRecord(x: unknown): x is ResultRecord {
  const r = x as ResultRecord | undefined;
  return typeof r === "object" && r !== null && r.format === 1 && typeof r.id === "string" &&
    typeof r.experiment === "string" && typeof r.headline?.accuracy === "number" &&
    (CHOSEN_BY as readonly string[]).includes(r.chosenBy);
}

/** The file name a promoted record takes: `NAME.json`, NAME a plain file name. */
export function promotedName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name) || basename(name) !== name) {
    throw new UserError(
      `--as "${name}": a result name is letters, digits, '_', '.' and '-' (at most 100)`,
    );
  }
  return `${name}.json`;
}
