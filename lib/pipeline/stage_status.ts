/**
 * `deno task status NAME` (like `dvc status`): for each stage of an experiment, whether its
 * artifact is cached, and what would make it run again, without running anything: its code
 * changed since it was built (which files), its input data changed (the image folder, the
 * protocol files), it is unfinished (after which epoch), or it is missing or damaged.
 * @module
 */
import { join } from "node:path";
import type { ArtifactStore, Manifest } from "./artifact_store.ts";
import { codeFingerprint } from "./code_fingerprint.ts";
import { hashFolder, hashInputFile } from "./content_hash.ts";
import { ExperimentIndex } from "./experiments.ts";
import { contentStateFile } from "./prepare_stage.ts";
import { stage as declaration } from "./stages.ts";
import type { EpochRecord } from "../train/history.ts";
import { TRAIN_FILES } from "../train/trainer.ts";
import { readJsonIfExists } from "../util/atomic.ts";

/** One stage's state. */
export interface StageStatus {
  stage: "prepare" | "split" | "train" | "test";
  key?: string;
  /** "cached", "would rerun", "unfinished", "missing", "damaged", "not run". */
  state: string;
  /** Why, in words (changed files, changed inputs, epochs done...). */
  reasons: string[];
}

/** Files whose hash differs between a manifest's code and the code as it is now. */
async function changedCode(manifest: Manifest, stage: StageStatus["stage"]): Promise<string[]> {
  const now = (await codeFingerprint(declaration(stage).code)).files;
  const then = manifest.code?.files ?? {};
  return [...new Set([...Object.keys(now), ...Object.keys(then)])]
    .filter((f) => now[f] !== then[f]).sort();
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
    const reasons: string[] = [];
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
    const code = await changedCode(manifest, stage);
    if (code.length > 0) {
      reasons.push(
        `code changed: ${code.slice(0, 6).join(", ")}${
          code.length > 6 ? ` and ${code.length - 6} more` : ""
        }`,
      );
    }
    if (stage === "prepare") {
      const images = (manifest.info as { imagesDir?: string }).imagesDir;
      if (images) {
        const hash = await hashFolder(images, { stateFile: contentStateFile(store) }).catch(
          () => undefined,
        );
        if (hash !== manifest.inputs.images) reasons.push(`the images in ${images} changed`);
      }
    }
    if (stage === "split") {
      const files = (manifest.info as { protocolFiles?: Record<string, string> }).protocolFiles ??
        {};
      for (const [role, path] of Object.entries(files)) {
        const hash = await hashInputFile(path, `protocol ${role} file`).catch(() => undefined);
        if (hash !== manifest.inputs[role]) {
          reasons.push(`the protocol ${role} file ${path} changed`);
        }
      }
    }
    if (upstreamChanged) reasons.push("an earlier stage would rerun");
    if (reasons.length > 0) upstreamChanged = true;
    out.push({ stage, key, state: reasons.length ? "would rerun" : "cached", reasons });
  }
  return out;
}
