/**
 * `deno task status NAME` (like `dvc status`): for each stage of an experiment, whether its
 * artifact is cached, and what would make it run again, without running anything: what of its
 * declared inputs (`stages.ts`) differs from what its artifact was made from: the code it runs
 * for this experiment (which files: the stage's own, its model's and its model's training code,
 * not every model's), its parameters (which), its input data (the image folder, the protocol
 * files) or an earlier stage's artifact; or that it is unfinished (after which epoch), missing or
 * damaged.
 * @module
 */
import { join } from "node:path";
import type { ArtifactStore, Manifest } from "./artifact_store.ts";
import { codeFingerprint } from "./code_fingerprint.ts";
import { hashFolder, hashInputFile } from "./content_hash.ts";
import { ExperimentIndex, type ExperimentRecord } from "./experiments.ts";
import { contentStateFile } from "./prepare_stage.ts";
import { normalizeSplitParams } from "./split_stage.ts";
import type { SplitParams } from "../config/defaults.ts";
import { inputDeclaration, stage as declaration, stageCode } from "./stages.ts";
import { getModel } from "../model/registry.ts";
import type { SiameseModel } from "../model/siamese_model.ts";
import type { EpochRecord } from "../train/history.ts";
import { TRAIN_FILES } from "../train/train_files.ts";
import { readJsonIfExists } from "../util/atomic.ts";
import { canonicalJson, sha256File } from "../util/hash.ts";

/** One stage's state. */
export interface StageStatus {
  stage: "prepare" | "split" | "train" | "test";
  key?: string;
  /** "cached", "would rerun", "unfinished", "missing", "damaged", "not run". */
  state: string;
  /** Why, in words (changed files, parameters and inputs, epochs done...). */
  reasons: string[];
  /**
   * For a finished artifact: what differs between it and the stage now: code files (paths from
   * the project root), parameters (dotted paths) and inputs (their roles in `stages.ts`).
   */
  changed?: { files: string[]; params: string[]; inputs: string[] };
}

/** Files whose hash differs between a manifest's code and `now`. */
function changedFiles(manifest: Manifest, now: Record<string, string>): string[] {
  const then = manifest.code?.files ?? {};
  return [...new Set([...Object.keys(now), ...Object.keys(then)])]
    .filter((f) => now[f] !== then[f]).sort();
}

/** The parameters that differ between `then` and `now`, as "path: old -> new". */
export function changedParams(
  then: unknown,
  now: unknown,
  prefix = "",
): { path: string; change: string }[] {
  if (canonicalJson(then ?? null) === canonicalJson(now ?? null)) return [];
  const object = (x: unknown): x is Record<string, unknown> =>
    typeof x === "object" && x !== null && !Array.isArray(x);
  if (object(then) && object(now)) {
    return [...new Set([...Object.keys(then), ...Object.keys(now)])].sort().flatMap((key) =>
      changedParams(then[key], now[key], `${prefix}${key}.`)
    );
  }
  const path = prefix.slice(0, -1) || "(all)";
  const show = (x: unknown) => x === undefined ? "(none)" : JSON.stringify(x);
  return [{ path, change: `${path} ${show(then)} -> ${show(now)}` }];
}

/** At most `n` items, then how many more. */
function listed(items: string[], n = 6): string {
  return items.slice(0, n).join(", ") + (items.length > n ? ` and ${items.length - n} more` : "");
}

/** The model an experiment trains (a UserError for a model this code no longer knows). */
function modelOf(record: ExperimentRecord): SiameseModel {
  const train = record.options.train as { model?: string } | undefined;
  return getModel(train?.model ?? "");
}

/** The status of every stage of single experiment `name`. */
export async function experimentStatus(
  store: ArtifactStore,
  name: string,
): Promise<StageStatus[]> {
  const record = await new ExperimentIndex(store.root).requireSingle(name);
  const out: StageStatus[] = [];
  let upstreamChanged = false;
  for (const stage of ["prepare", "split", "train", "test"] as const) {
    const key = record.keys[stage];
    if (!key) {
      out.push({ stage, state: "not run", reasons: [`run \`deno task ${stage} ${name}\``] });
      continue;
    }
    const found = await store.inspect(stage, key);
    if (found.state === "damaged") {
      out.push({ stage, key, state: "damaged", reasons: [found.problem] });
      upstreamChanged = true;
      continue;
    }
    if (found.state === "missing") {
      if (stage === "train") {
        const history = await readJsonIfExists<EpochRecord[]>(
          join(store.partialDirOf("train", key), TRAIN_FILES.historyJson),
        ).catch(() => undefined);
        if (history?.length) {
          out.push({
            stage,
            key,
            state: "unfinished",
            reasons: [
              `after epoch ${history.length}: rerun \`deno task train ${name}\` to continue`,
            ],
          });
          upstreamChanged = true;
          continue;
        }
      }
      out.push({ stage, key, state: "missing", reasons: ["its artifact is not in the store"] });
      upstreamChanged = true;
      continue;
    }
    const manifest = found.artifact.manifest;
    const { reasons, changed } = await staleness(store, record, stage, manifest);
    if (upstreamChanged) reasons.push("an earlier stage would rerun");
    if (reasons.length > 0) upstreamChanged = true;
    out.push({
      stage,
      key,
      state: reasons.length ? "would rerun" : "cached",
      reasons,
      changed,
    });
  }
  return out;
}

/** What differs between a finished artifact of `stage` and what the stage would use now. */
async function staleness(
  store: ArtifactStore,
  record: ExperimentRecord,
  stage: StageStatus["stage"],
  manifest: Manifest,
): Promise<{ reasons: string[]; changed: NonNullable<StageStatus["changed"]> }> {
  const declared = declaration(stage);
  const reasons: string[] = [];
  const changed = { files: [] as string[], params: [] as string[], inputs: [] as string[] };

  // Its code: what the stage runs for this experiment's model.
  let models: SiameseModel[] = [];
  if (declared.code.model) {
    try {
      models = [modelOf(record)];
    } catch (error) {
      reasons.push(`its model is unknown to this code (${(error as Error).message})`);
    }
  }
  if (!declared.code.model || models.length > 0) {
    const now = (await codeFingerprint(stageCode(declared.name, models).parts)).files;
    changed.files = changedFiles(manifest, now);
    if (changed.files.length > 0) reasons.push(`code changed: ${listed(changed.files)}`);
  }

  // Its parameters, where the experiment's record keeps them.
  const recorded = declared.params.recorded;
  if (recorded && record.options[recorded] !== undefined) {
    // As the stage keys them: a split drops what its protocol ignores (e.g. the seed protocol's
    // share of validation people).
    const stated = record.options[recorded];
    const keyed = recorded === "split" ? keyedSplitParams(stated) : stated;
    const params = changedParams(manifest.params, keyed);
    changed.params = params.map((p) => p.path);
    if (params.length > 0) {
      reasons.push(`parameters changed: ${listed(params.map((p) => p.change), 4)}`);
    }
  }

  // Its inputs: earlier stages' artifacts as the record names them now, and outside data.
  const now: Record<string, string | undefined> = {};
  const known: Record<string, string> = {
    prepare: record.keys.prepare,
    split: record.keys.split,
    train: record.keys.train,
  };
  // (Optional and numbered ones, --load's weights and an ensemble's members, come from other
  // experiments.)
  for (const role of Object.keys(declared.inputs)) {
    const input = declared.inputs[role];
    if (input.from !== "outside" && !input.optional && !input.numbered) {
      now[role] = known[input.from];
    }
  }
  const partial = `${record.keys.train}.partial@`;
  if (stage === "test" && manifest.inputs.train?.startsWith(partial)) {
    // Tested while unfinished: the same checkpoint is the same input until training finishes.
    const finished = (await store.inspect("train", record.keys.train)).state === "ok";
    now.train = finished ? record.keys.train : await sha256File(
      join(store.partialDirOf("train", record.keys.train), TRAIN_FILES.checkpoint),
    ).then((hash) => partial + hash, () => undefined);
  }
  if (stage === "train" && typeof record.options.compute === "string") {
    now.compute = record.options.compute;
  }
  if (stage === "prepare") {
    const images = (manifest.info as { imagesDir?: string }).imagesDir;
    if (images) {
      now.images = await hashFolder(images, { stateFile: contentStateFile(store) }).catch(
        () => undefined,
      );
      if (now.images !== manifest.inputs.images) reasons.push(`the images in ${images} changed`);
    }
  }
  if (stage === "split") {
    const files = (manifest.info as { protocolFiles?: Record<string, string> }).protocolFiles ??
      {};
    for (const [role, path] of Object.entries(files)) {
      now[role] = await hashInputFile(path, `protocol ${role} file`).catch(() => undefined);
      if (now[role] !== manifest.inputs[role]) {
        reasons.push(`the protocol ${role} file ${path} changed`);
      }
    }
  }
  changed.inputs = Object.keys(now).filter((role) => now[role] !== manifest.inputs[role]).sort();
  const described = changed.inputs.filter((role) =>
    role !== "images" && !(stage === "split" &&
      role in ((manifest.info as { protocolFiles?: object }).protocolFiles ?? {}))
  );
  if (described.length > 0) {
    reasons.push(
      `input changed: ${
        described.map((role) => `${role} (${inputDeclaration(declared, role)?.what ?? role})`)
          .join(", ")
      }`,
    );
  }
  return { reasons, changed };
}

/** Recorded split options as the split stage keys them; as recorded when they do not parse. */
function keyedSplitParams(stated: unknown): unknown {
  try {
    return normalizeSplitParams(stated as SplitParams);
  } catch {
    return stated;
  }
}
