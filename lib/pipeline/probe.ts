/**
 * Design probes as data: a probe file (`probes/NAME.json`) names candidate configurations, the
 * options they share, the development data that decides between them (LFW View 1 or the
 * validation people, never View 2's test folds) and the run the winner is frozen into. `deno task
 * probe FILE` trains and tests each candidate through the ordinary tasks (cached like any
 * experiment), ranks their result records, and writes a probe record naming the winner and the
 * frozen commands.
 *
 * @example
 * ```ts
 * const probe = parseProbe(await Deno.readTextFile("probes/blind_view1.json"), "probes/blind_view1.json");
 * const ranking = rankCandidates(probe, recordsByExperiment);
 * ```
 * @module
 */
import type { ResultRecord } from "./result_record.ts";
import { UserError } from "../util/errors.ts";
import { validateExperimentName } from "../util/cli.ts";

/** What ranks the candidates: a figure of their View 1 result records. */
export const SELECT_BY = ["test-auc", "test-accuracy", "val-auc", "val-accuracy"] as const;
/** One of {@linkcode SELECT_BY}. */
export type SelectBy = typeof SELECT_BY[number];

/** A probe file. */
export interface ProbeDeclaration {
  name: string;
  /** The question it answers, in a sentence. */
  question: string;
  /** The figure that ranks the candidates (ties: the validation AUC, then the order given). */
  selectBy: SelectBy;
  /** `train` options every candidate shares (they must say `--protocol lfw-view1`). */
  base: string[];
  /** `test` options every candidate's test takes. */
  test: string[];
  /**
   * Candidate experiment name -> its own `train` options. A candidate whose options say
   * `--members A,B` is an ensemble of earlier candidates: it takes no shared options (an
   * ensemble has no data options of its own), and its frozen run freezes its members first.
   */
  candidates: Record<string, string[]>;
  /** The frozen run: experiment name and the `train` options it adds to the winner's. */
  then?: { name: string; train: string[]; test: string[] };
}

/** Reads a probe file's text; every problem is a UserError naming `path`. */
export function parseProbe(text: string, path: string): ProbeDeclaration {
  let raw: Partial<ProbeDeclaration>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`probe file ${path} is not JSON (${(error as Error).message})`);
  }
  const fail = (what: string): never => {
    throw new UserError(`probe file ${path}: ${what}`);
  };
  const words = (x: unknown, what: string): string[] =>
    Array.isArray(x) && x.every((w) => typeof w === "string")
      ? x as string[]
      : fail(`${what} must be a list of command-line words`);
  if (typeof raw !== "object" || raw === null) fail("not an object");
  if (typeof raw.name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(raw.name)) {
    fail(`"name" must be letters, digits, '_' or '-'`);
  }
  if (!(SELECT_BY as readonly string[]).includes(raw.selectBy as string)) {
    fail(`"selectBy" must be one of ${SELECT_BY.join(", ")}`);
  }
  const base = words(raw.base, `"base"`);
  const protocol = base[base.indexOf("--protocol") + 1];
  if (base.indexOf("--protocol") < 0 || protocol !== "lfw-view1") {
    fail(
      `"base" must say --protocol lfw-view1: designs are chosen on View 1 and validation people, never on View 2's test folds`,
    );
  }
  const candidates = raw.candidates;
  if (typeof candidates !== "object" || candidates === null || Object.keys(candidates).length < 2) {
    fail(`"candidates" must name two configurations or more`);
  }
  const declared: string[] = [];
  for (const [name, options] of Object.entries(candidates!)) {
    validateExperimentName(name);
    words(options, `candidate "${name}"`);
    if (options.includes("--protocol")) fail(`candidate "${name}" may not change --protocol`);
    for (const member of candidateMembers(options) ?? []) {
      if (!declared.includes(member) || candidateMembers(candidates![member])) {
        fail(
          `candidate "${name}": member "${member}" must be a single candidate declared before it`,
        );
      }
    }
    declared.push(name);
  }
  let then: ProbeDeclaration["then"];
  if (raw.then !== undefined) {
    const t = raw.then as Partial<NonNullable<ProbeDeclaration["then"]>>;
    validateExperimentName(t.name);
    then = {
      name: t.name!,
      train: words(t.train ?? [], `"then.train"`),
      test: words(t.test ?? [], `"then.test"`),
    };
  }
  return {
    name: raw.name!,
    question: typeof raw.question === "string" ? raw.question : "",
    selectBy: raw.selectBy as SelectBy,
    base,
    test: words(raw.test ?? [], `"test"`),
    candidates: candidates as Record<string, string[]>,
    then,
  };
}

/** A candidate's place in the ranking. */
export interface RankedCandidate {
  experiment: string;
  resultId: string;
  score: number;
  testAccuracy: number;
  testAuc: number;
  valAccuracy: number;
  valAuc: number;
}

/** The figure `by` of a single View 1 result record. */
export function selectionScore(record: ResultRecord, by: SelectBy): number {
  const [set, figure] = by.split("-") as ["test" | "val", "auc" | "accuracy"];
  const m = record.metrics[set];
  if (!m) throw new UserError(`result ${record.id} has no ${set} figures to rank by`);
  return m[figure];
}

/**
 * Each candidate's record of the probe's own test: the latest record marked as made for this
 * probe (`--chosen-in probe:NAME`, which the probe's test command writes, cached or not). A test
 * of a candidate made by hand with other options (a projection, TTA) has its own record, newer
 * perhaps, and is not the probe's.
 *
 * @example
 * ```ts
 * const ranking = rankCandidates(probe, probeRecords(probe, records.map((r) => r.record)));
 * ```
 */
export function probeRecords(
  probe: ProbeDeclaration,
  records: Iterable<ResultRecord>,
): Map<string, ResultRecord> {
  const own = `probe:${probe.name}`;
  const latest = new Map<string, ResultRecord>();
  for (const record of records) {
    if (record.chosenIn !== own || !Object.hasOwn(probe.candidates, record.experiment)) continue;
    const seen = latest.get(record.experiment);
    if (!seen || seen.createdAt < record.createdAt) latest.set(record.experiment, record);
  }
  return latest;
}

/**
 * The candidates ranked best first by `probe.selectBy` (ties: validation AUC, then the
 * declaration's order); every candidate needs a View 1 record in `records`.
 */
export function rankCandidates(
  probe: ProbeDeclaration,
  records: ReadonlyMap<string, ResultRecord>,
): RankedCandidate[] {
  const names = Object.keys(probe.candidates);
  const ranked = names.map((experiment, order) => {
    const r = records.get(experiment);
    if (!r) {
      throw new UserError(`probe ${probe.name}: candidate "${experiment}" has no result record`);
    }
    if (r.protocol !== "lfw-view1") {
      throw new UserError(`probe ${probe.name}: "${experiment}" was not measured on View 1`);
    }
    return {
      order,
      experiment,
      resultId: r.id,
      score: selectionScore(r, probe.selectBy),
      testAccuracy: r.metrics.test?.accuracy ?? NaN,
      testAuc: r.metrics.test?.auc ?? NaN,
      valAccuracy: r.metrics.val?.accuracy ?? NaN,
      valAuc: r.metrics.val?.auc ?? NaN,
    };
  });
  ranked.sort((a, b) => b.score - a.score || b.valAuc - a.valAuc || a.order - b.order);
  return ranked.map(({ order: _, ...rest }) => rest);
}

/** The members an ensemble candidate's options name (`--members A,B`), else undefined. */
export function candidateMembers(options: readonly string[]): string[] | undefined {
  const i = options.indexOf("--members");
  return i < 0 ? undefined : (options[i + 1] ?? "").split(",").filter((m) => m !== "");
}

/** The `train` words of candidate `name`: its own options, with the shared ones unless an ensemble. */
export function candidateTrainWords(probe: ProbeDeclaration, name: string): string[] {
  const options = probe.candidates[name];
  return candidateMembers(options) ? [name, ...options] : [name, ...probe.base, ...options];
}

/**
 * The frozen run's `train` commands, in order, and its `test` command: the winner's options with
 * the shared ones, less `--protocol` (the frozen run gives its own) and the candidate's own
 * `--time-budget VALUE`, plus `then`'s. An ensemble
 * winner's members are frozen first, each as `<then.name>_<member>`, and the ensemble is made
 * of those.
 */
export function frozenCommands(
  probe: ProbeDeclaration,
  winner: string,
): { train: string[][]; test: string[] } | undefined {
  if (!probe.then) return undefined;
  const then = probe.then;
  const shared = withoutOption(probe.base, "--protocol");
  // `then` overrides a shared option it restates (e.g. --val-pairs).
  const overridden = new Set(then.train.filter((w) => w.startsWith("--")));
  const kept = shared.filter((_, i) =>
    !overridden.has(shared[i].startsWith("--") ? shared[i] : shared[i - 1])
  );
  // A time budget bounds one sitting of a candidate's training, not its design; over View 2's
  // ten folds it would bound the whole run (`ten_fold.ts`), pausing it after a fold or two and
  // leaving an ensemble's member unfinished, so the frozen run trains the candidate's epochs.
  const single = (name: string, candidate: string) => [
    name,
    ...kept,
    ...withoutOption(probe.candidates[candidate], "--time-budget"),
    ...then.train,
  ];
  const members = candidateMembers(probe.candidates[winner]);
  const train = members
    ? [
      ...members.map((m) => single(`${then.name}_${m}`, m)),
      [
        then.name,
        ...withoutOption(probe.candidates[winner], "--members"),
        "--members",
        members.map((m) => `${then.name}_${m}`).join(","),
      ],
    ]
    : [single(then.name, winner)];
  return {
    train,
    test: [
      then.name,
      ...then.test,
      "--chosen-by",
      "view1",
      "--chosen-in",
      `probe:${probe.name}`,
    ],
  };
}

/** `words` without option `name` and its value. */
function withoutOption(words: string[], name: string): string[] {
  const i = words.indexOf(name);
  return i < 0 ? words : [...words.slice(0, i), ...words.slice(i + 2)];
}
