/**
 * The files of a split artifact, written by the `split` stage and read by the stages after it:
 * the pair sets as compact columns, who is in which part, and the images a model may train on.
 * The later stages' keys hold this module (how they read their input), not the split stage's
 * code (how the input was made; its key is their input's).
 *
 * @example
 * ```ts
 * const sets = await loadPairSets(splitArtifact.dir);
 * console.log(sets.train.length, sets.val.length, sets.test.length);
 * ```
 * @module
 */
import { join } from "node:path";
import type { Pair } from "../data/sample_pairs.ts";
import type { PairSets, SplitPeople } from "../data/split_pairs.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { isIntegerArray, isStringArray, readArtifactJson } from "../util/damaged_file.ts";
import { SPLIT_FILES } from "./stages.ts";

interface StoredSet {
  a: number[];
  b: number[];
  same: number[];
}

/** Writes pair sets as compact columns. */
export async function savePairSets(path: string, sets: PairSets): Promise<void> {
  const out: Record<string, StoredSet> = {};
  for (const [name, pairs] of Object.entries(sets) as [string, Pair[]][]) {
    out[name] = {
      a: pairs.map((p) => p.a),
      b: pairs.map((p) => p.b),
      same: pairs.map((p) => (p.same ? 1 : 0)),
    };
  }
  await writeJsonAtomic(path, out);
}

/** What is wrong with parsed pair sets, or undefined. */
function pairSetsProblem(value: unknown): string | undefined {
  for (const set of ["train", "val", "test"]) {
    const s = (value as Record<string, StoredSet> | null)?.[set];
    if (
      !s || !isIntegerArray(s.a) || !isIntegerArray(s.b) || !isIntegerArray(s.same) ||
      s.b.length !== s.a.length || s.same.length !== s.a.length
    ) return `its ${set} pairs are not columns of image numbers`;
  }
  return undefined;
}

/** Reads the pair sets of a split artifact (a damaged file is a DamagedFileError). */
export async function loadPairSets(splitDir: string): Promise<PairSets> {
  const stored = await readArtifactJson<Record<string, StoredSet>>(
    join(splitDir, SPLIT_FILES.pairs),
    { problem: pairSetsProblem },
  );
  const read = (s: StoredSet): Pair[] =>
    s.a.map((a, i) => ({ a, b: s.b[i], same: s.same[i] === 1 }));
  return { train: read(stored.train), val: read(stored.val), test: read(stored.test) };
}

/** Reads who is in which part of a split (a damaged file is a DamagedFileError). */
export function loadSplitPeople(splitDir: string): Promise<SplitPeople> {
  return readArtifactJson<SplitPeople>(join(splitDir, SPLIT_FILES.people), {
    problem: (value) =>
      ["train", "val", "test"].every((p) =>
          isStringArray((value as Record<string, unknown> | null)?.[p])
        )
        ? undefined
        : "not lists of people",
  });
}

/** Reads the images a model may train on (a damaged file is a DamagedFileError). */
export async function loadTrainImages(splitDir: string): Promise<Int32Array> {
  return Int32Array.from(
    await readArtifactJson<number[]>(join(splitDir, SPLIT_FILES.trainImages), {
      problem: (value) => isIntegerArray(value) ? undefined : "not a list of image numbers",
    }),
  );
}
