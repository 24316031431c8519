/**
 * Checks that the artifacts an experiment record names were made for that record (its options,
 * its prepared faces and split): every task that uses a record's artifacts (test, compare,
 * export, the ten-fold evaluation through `trained_experiment.ts`, the report) refuses a record
 * that points at another experiment's model or results, instead of scoring one model with
 * another experiment's threshold and crop.
 * @module
 */
import { sameContent } from "./same_outputs.ts";
import { canonicalJson } from "../util/hash.ts";
import { UserError } from "../util/errors.ts";
import type { Artifact } from "./artifact_store.ts";
import type { ExperimentRecord } from "./experiments.ts";

/** How to mend a record that names the wrong artifacts. */
export const recordRepair = (name: string): string =>
  `the record was changed by hand or copied from another experiment: \`deno task train ${name} --force\` trains it again as recorded, \`deno task experiments rm ${name}\` forgets it`;

/** The recorded option paths whose values differ, e.g. `model "lbp_jb" (recorded "seed")`. */
function differing(recorded: unknown, made: unknown, prefix = ""): string[] {
  if (canonicalJson(recorded ?? null) === canonicalJson(made ?? null)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(recorded) && isObject(made)) {
    return [...new Set([...Object.keys(recorded), ...Object.keys(made)])].flatMap((k) =>
      differing(recorded[k], made[k], `${prefix}${k}.`)
    );
  }
  return [
    `${prefix.slice(0, -1) || "options"} ${JSON.stringify(made)} (recorded ${
      JSON.stringify(recorded)
    })`,
  ];
}

/**
 * Checks that the artifacts `record` names were made for it: the train artifact (when finished)
 * with the record's training options and compute, from the record's prepared faces and split;
 * the split from those faces; the prepared faces with the record's prepare options; the
 * evaluation (when given) of this very model (or of an unfinished checkpoint of its run), on
 * the same faces and split. A mismatch is a UserError naming what differs.
 */
export function checkRecordArtifacts(
  record: ExperimentRecord,
  artifacts: {
    prepared: Artifact;
    split: Artifact;
    train?: Artifact;
    test?: Artifact;
    /**
     * The split the model was trained from, where its key is not the record's: it qualifies
     * when it holds the same pairs (made by earlier data code, as a ten-fold run keeps a fold).
     */
    trainedSplit?: Artifact;
  },
): void {
  const { name, keys } = record;
  const options = record.options as { train?: unknown; prepare?: unknown; compute?: string };
  const problems: string[] = [];
  const { prepared, split, train, test } = artifacts;
  if (split.manifest.inputs.faces !== keys.prepare) {
    problems.push(`its split (${keys.split.slice(0, 12)}) was made from other prepared faces`);
  }
  if (options.prepare !== undefined) {
    const diff = differing(options.prepare, prepared.manifest.params);
    if (diff.length > 0) {
      problems.push(`its prepared faces (${keys.prepare.slice(0, 12)}) have ${diff.join(", ")}`);
    }
  }
  if (train) {
    const short = keys.train.slice(0, 12);
    if (options.train !== undefined) {
      const diff = differing(options.train, train.manifest.params);
      if (diff.length > 0) {
        problems.push(`its model (${short}) was trained with ${diff.join(", ")}`);
      }
    }
    if (train.manifest.inputs.faces !== keys.prepare) {
      problems.push(
        `its model (${short}) was trained on other prepared faces (another crop or size)`,
      );
    }
    const trainedSplit = artifacts.trainedSplit;
    const sameSplit = train.manifest.inputs.split === keys.split ||
      (trainedSplit?.key === train.manifest.inputs.split && sameContent(trainedSplit, split));
    if (!sameSplit) {
      problems.push(`its model (${short}) was trained from another split`);
    }
    if (options.compute !== undefined && train.manifest.inputs.compute !== options.compute) {
      problems.push(
        `its model (${short}) was computed with ${train.manifest.inputs.compute}, not ${options.compute}`,
      );
    }
  }
  if (test && keys.test) {
    const tested = test.manifest.inputs.train ?? "";
    if (tested !== keys.train && !tested.startsWith(`${keys.train}.partial@`)) {
      problems.push(
        `its test result (${keys.test.slice(0, 12)}) evaluated another model (${
          tested.slice(0, 12)
        })`,
      );
    }
    if (test.manifest.inputs.faces !== keys.prepare || test.manifest.inputs.split !== keys.split) {
      problems.push(
        `its test result (${keys.test.slice(0, 12)}) used other faces or another split`,
      );
    }
  }
  if (problems.length > 0) {
    throw new UserError(
      `experiment "${name}" names artifacts made for another experiment: ${problems.join("; ")}; ${
        recordRepair(name)
      }`,
    );
  }
}
