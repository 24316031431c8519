/**
 * Garbage collection of the artifact store (like `dvc gc`): what no experiment refers to.
 * Kept: every artifact an experiment record names (prepare, split, train, test, and the ten-fold
 * evaluation), the artifacts those were built from (manifest inputs, e.g. `--load` weights), the
 * unfinished training folder of a recorded run, and anything a live process is building. An
 * unfinished run no record names that was written after the newest record (work a record may have
 * lost) is listed as such and removed only when asked for by name of its kind (`--unfinished`).
 * @module
 */
import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import type { ArtifactStore, Manifest } from "./artifact_store.ts";
import { ExperimentIndex } from "./experiments.ts";
import { STORE_DIRS } from "./stages.ts";

/** The stages whose folders hold keyed artifacts. */
export const STORE_STAGES = STORE_DIRS;

/** One removable entry of the store. */
export interface Garbage {
  /** Path relative to the store root. */
  path: string;
  bytes: number;
  /** Why it can go. */
  why: string;
  /**
   * An unfinished run no record names, written after the newest record: removed only when the
   * user asks for unfinished runs too.
   */
  ask?: boolean;
}

/** The newest modification time (ms) of a file or of any file under a folder. */
async function newestWrite(path: string): Promise<number> {
  const info = await Deno.lstat(path);
  let newest = info.mtime?.getTime() ?? 0;
  if (info.isDirectory) {
    for await (const entry of Deno.readDir(path)) {
      newest = Math.max(newest, await newestWrite(join(path, entry.name)));
    }
  }
  return newest;
}

/** When the newest experiment record was written (0 when there is none). */
async function newestRecordWrite(store: ArtifactStore): Promise<number> {
  let newest = 0;
  try {
    for await (const entry of Deno.readDir(join(store.root, "experiments"))) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const info = await Deno.lstat(join(store.root, "experiments", entry.name));
      newest = Math.max(newest, info.mtime?.getTime() ?? 0);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return newest;
}

async function sizeOf(path: string): Promise<number> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const entry of Deno.readDir(path)) total += await sizeOf(join(path, entry.name));
  return total;
}

/** Every artifact key the experiment records use, with what those artifacts were built from. */
async function referencedKeys(store: ArtifactStore): Promise<Set<string>> {
  const index = new ExperimentIndex(store.root);
  const keys = new Set<string>();
  for (const name of await index.names()) {
    const record = await index.get(name).catch((error) => {
      if (error instanceof UserError) {
        throw new UserError(
          `${error.message}; clean needs every record readable to know what is used`,
        );
      }
      throw error;
    });
    if (!record) continue;
    if (record.kind === "ten-fold") {
      if (record.testKey) keys.add(record.testKey);
    } else {
      for (const key of Object.values(record.keys)) if (key) keys.add(key);
    }
  }
  // Follow manifest inputs (e.g. a --load source) until nothing new is found.
  const queue = [...keys];
  while (queue.length > 0) {
    const key = queue.pop()!;
    for (const stage of STORE_STAGES) {
      let manifest: Manifest;
      try {
        manifest = JSON.parse(
          await Deno.readTextFile(join(store.root, stage, key, "manifest.json")),
        );
      } catch {
        continue;
      }
      for (const input of Object.values(manifest.inputs ?? {})) {
        if (!keys.has(input)) {
          keys.add(input);
          queue.push(input);
        }
      }
    }
  }
  return keys;
}

/** What `clean` would remove (nothing is changed). */
export async function findGarbage(store: ArtifactStore): Promise<Garbage[]> {
  const keys = await referencedKeys(store);
  const recordsWritten = await newestRecordWrite(store);
  const out: Garbage[] = [];
  for (const stage of STORE_STAGES) {
    const dir = join(store.root, stage);
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const key = entry.name.replace(/^\./, "").split(".")[0];
      if (await store.builder(stage, key)) continue; // being built right now
      const used = keys.has(key);
      let why: string | undefined;
      if (entry.name.endsWith(".lock")) why = "lock of a process that is gone";
      else if (entry.name.endsWith(".tmp") || entry.name.endsWith(".damaged")) {
        why = "left by an interrupted or repaired build";
      } else if (!used) {
        why = entry.name.endsWith(".partial")
          ? "unfinished training no experiment refers to"
          : "no experiment refers to it";
      }
      if (!why) continue;
      const path = join(dir, entry.name);
      const ask = !used && entry.name.endsWith(".partial") &&
        await newestWrite(path) > recordsWritten;
      out.push({
        path: join(stage, entry.name),
        bytes: await sizeOf(path),
        why: ask ? `${why}, trained after the newest record was written` : why,
        ...(ask ? { ask } : {}),
      });
    }
  }
  return out;
}

/** Removes `garbage` (found by {@linkcode findGarbage}). */
export async function removeGarbage(store: ArtifactStore, garbage: Garbage[]): Promise<void> {
  for (const g of garbage) await Deno.remove(join(store.root, g.path), { recursive: true });
}
