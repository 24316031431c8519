/**
 * The `split` stage: prepared faces (and, for the official protocols, the protocol files) in,
 * the training, validation and test pairs and their statistics out.
 * @module
 */
import { join } from "node:path";
import type { SplitParams } from "../config/defaults.ts";
import { loadFaceIndex } from "../data/face_array.ts";
import { parsePairsFile, parsePeopleFile } from "../data/lfw_protocol.ts";
import { splitStats } from "../data/skew_stats.ts";
import { type ProtocolSets, splitPairs } from "../data/split_pairs.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { UserError } from "../util/errors.ts";
import type { Artifact, ArtifactStore } from "./artifact_store.ts";
import { hashInputFile } from "./content_hash.ts";
import { ensurePrepared, type PrepareOptions } from "./prepare_stage.ts";
import { SPLIT_FILES, stage, stageCode } from "./stages.ts";
import { savePairSets } from "./split_files.ts";

/** The code of the stage (with everything it imports; see `code_fingerprint.ts`). */
export const SPLIT_CODE = stage("split").code;

/** Paths of the official protocol files. */
export interface ProtocolFiles {
  pairs: string;
  people: string;
  pairsDevTest: string;
  peopleDevTrain: string;
}

/** Options of {@linkcode ensureSplit}. */
export interface SplitOptions {
  prepare: PrepareOptions;
  params: SplitParams;
  protocolFiles: ProtocolFiles;
  /** Rebuild this stage even when cached (upstream stages are reused). */
  force?: boolean;
}

/** The artifacts a split stands on. */
export interface SplitArtifacts {
  prepared: Artifact;
  split: Artifact;
}

/** File names inside a split artifact. */
export { SPLIT_FILES };

/**
 * Fills in what a protocol ignores, so that irrelevant options do not change the key, and
 * checks what it needs.
 */
export function normalizeSplitParams(params: SplitParams): SplitParams {
  const out = { ...params };
  if (out.protocol === "lfw-view2") {
    if (out.fold === undefined || !Number.isInteger(out.fold) || out.fold < 1 || out.fold > 10) {
      throw new UserError(
        `--fold: lfw-view2 needs a test fold between 1 and 10, got ${out.fold ?? "none"}`,
      );
    }
  } else {
    delete out.fold;
  }
  if (out.protocol !== "seed") out.testPairs = 0;
  if (out.protocol === "seed") {
    delete (out as Partial<SplitParams>).valPeopleShare;
  } else if (!(out.valPeopleShare > 0 && out.valPeopleShare < 1)) {
    throw new UserError(
      `--val-people-share: ${out.valPeopleShare} must be between 0 and 1 (exclusive)`,
    );
  }
  for (
    const [option, value] of [["--val-pairs", out.valPairs], ["--train-pairs", out.trainPairs], [
      "--test-pairs",
      out.testPairs,
    ]] as const
  ) {
    if (!Number.isInteger(value) || value < 0 || value % 2 !== 0) {
      throw new UserError(
        `${option}: ${value} must be an even number >= 0 (half same, half different)`,
      );
    }
  }
  return out;
}

/** The protocol files a protocol reads, by role. */
function protocolInputs(params: SplitParams, files: ProtocolFiles): Record<string, string> {
  if (params.protocol === "lfw-view1") {
    return { pairs: files.pairsDevTest, people: files.peopleDevTrain };
  }
  if (params.protocol === "lfw-view2") return { pairs: files.pairs, people: files.people };
  return {};
}

async function readProtocol(
  params: SplitParams,
  files: Record<string, string>,
): Promise<ProtocolSets | undefined> {
  if (params.protocol === "seed") return undefined;
  const pairsFile = parsePairsFile(await Deno.readTextFile(files.pairs), files.pairs);
  for (const { line, image, fold } of pairsFile.selfPairs) {
    // View 2 tests one fold: only its pairs are this split's.
    if (params.protocol === "lfw-view2" && fold !== params.fold) continue;
    console.warn(
      `warning: ${line} pairs ${image} with itself; kept as a test pair (the protocol's), ` +
        `though any model calls an image the same as itself`,
    );
  }
  const peopleFolds = parsePeopleFile(await Deno.readTextFile(files.people), files.people);
  if (params.protocol === "lfw-view1") {
    return {
      testPairs: pairsFile.pairs,
      trainPeople: new Set(peopleFolds.flat().map((p) => p.person)),
    };
  }
  const fold = params.fold!;
  if (pairsFile.folds < fold || peopleFolds.length < fold) {
    throw new UserError(
      `--fold ${fold}: ${files.pairs} has ${pairsFile.folds} folds, ${files.people} has ${peopleFolds.length}`,
    );
  }
  return {
    testPairs: pairsFile.pairs.filter((p) => p.fold === fold),
    trainPeople: new Set(peopleFolds.filter((_, i) => i !== fold - 1).flat().map((p) => p.person)),
  };
}

/** Returns the split for `options`, running `prepare` and `split` as needed. */
export async function ensureSplit(
  store: ArtifactStore,
  options: SplitOptions,
): Promise<SplitArtifacts> {
  const params = normalizeSplitParams(options.params);
  const prepared = await ensurePrepared(store, options.prepare);
  const files = protocolInputs(params, options.protocolFiles);
  const inputs: Record<string, string> = { faces: prepared.key };
  for (const [role, path] of Object.entries(files)) {
    inputs[role] = await hashInputFile(path, `protocol ${role} file`);
  }
  const { artifact } = await store.ensure(
    { stage: "split", code: stageCode("split"), params, inputs },
    async (dir) => {
      const { entries } = await loadFaceIndex(prepared.dir);
      const protocol = await readProtocol(params, files);
      const { sets, dropped, people, trainImages } = splitPairs(entries, params, { protocol });
      for (const d of dropped) {
        console.warn(`warning: protocol pair ${d.pair} dropped: ${d.reason}`);
      }
      await savePairSets(join(dir, SPLIT_FILES.pairs), sets);
      await writeJsonAtomic(join(dir, SPLIT_FILES.people), people);
      await writeJsonAtomic(join(dir, SPLIT_FILES.trainImages), trainImages);
      await writeJsonAtomic(join(dir, SPLIT_FILES.stats), splitStats(entries, sets));
      console.log(
        `split: ${params.protocol}: ${sets.train.length} training, ${sets.val.length} validation, ${sets.test.length} test pairs`,
      );
      return {
        pairs: { train: sets.train.length, val: sets.val.length, test: sets.test.length },
        people: { train: people.train.length, val: people.val.length, test: people.test.length },
        trainImages: trainImages.length,
        protocolFiles: files,
        dropped,
      };
    },
    { force: options.force },
  );
  return { prepared, split: artifact };
}
