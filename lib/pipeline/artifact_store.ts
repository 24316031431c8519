/**
 * The content-addressed artifact store. A stage run is keyed by the SHA-256 of its stage name,
 * code (a hash of the source files it runs, see `stageCode` in `stages.ts`), parameters
 * (canonical JSON) and the keys of its inputs (those its stage declares); its outputs live in
 * `<root>/<stage>/<key>/` beside a `manifest.json` that lists every output file with its hash.
 *
 * Outputs are built in a temporary folder and renamed into place, so an interrupted run leaves
 * nothing that a later run trusts. A tampered or truncated output is detected on load (hash
 * mismatch). Reading never deletes anything: a read-only caller gets an error naming the file,
 * and only the stage that builds the artifact repairs it, keeping the files that are intact.
 * @module
 */
import { join, relative } from "node:path";
import { UserError } from "../util/errors.ts";
import { canonicalJson, sha256File, sha256Hex } from "../util/hash.ts";
import { checkInputs, declarationOf, isStageCode, type StageCode } from "./stages.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { toolVersions } from "./tool_versions.ts";
import { type CodeFingerprint, codeFingerprint, gitState } from "./code_fingerprint.ts";
import { acquireLock, lockHolder } from "../util/file_lock.ts";

/** What identifies a stage run. */
export interface StageSpec {
  /** Stage name, e.g. "prepare". */
  stage: string;
  /**
   * The code of a declared stage's run (`stageCode(stage, models)`: its own modules, the model's
   * and the model's training code), or entry modules: they and every project module they load
   * are hashed into the key (see `code_fingerprint.ts`), so changed code never reuses an old
   * artifact.
   */
  code: readonly URL[] | StageCode;
  /** The stage's parameters (JSON). */
  params: unknown;
  /** Keys of the stage's inputs: other artifacts' keys or raw data content hashes. */
  inputs: Record<string, string>;
}

/** One output file's record in a manifest. */
export interface FileRecord {
  sha256: string;
  bytes: number;
  /**
   * Modification time (ms) when it was hashed: while size and time are unchanged a cached
   * artifact is trusted without reading it again (`FACE_COMPARER_VERIFY=full` re-hashes).
   */
  mtimeMs?: number;
}

/** The `manifest.json` of an artifact. */
export interface Manifest {
  stage: string;
  key: string;
  /** The code that made the artifact: its hash and each file's. */
  code: CodeFingerprint;
  /** The project's git commit and whether the tree was dirty (absent outside git). */
  git?: { commit: string; dirty: boolean };
  params: unknown;
  inputs: Record<string, string>;
  files: Record<string, FileRecord>;
  createdAt: string;
  durationSeconds: number;
  tools: Record<string, string>;
  /** Stage-specific facts (counts, warnings, backend...). */
  info: Record<string, unknown>;
}

/** A verified artifact on disk. */
export interface Artifact {
  stage: string;
  key: string;
  dir: string;
  manifest: Manifest;
}

/** What {@linkcode ArtifactStore.inspect} found. */
export type Inspection =
  | { state: "missing" }
  | { state: "ok"; artifact: Artifact }
  | {
    state: "damaged";
    dir: string;
    /** What is wrong, e.g. "history.csv: sha256 ab12... found, 34cd... expected". */
    problem: string;
    /** The output files that failed verification (empty when the manifest itself is bad). */
    damagedFiles: string[];
    /** The manifest, when it could be read. */
    manifest?: Manifest;
  };

/** Builds the outputs of a stage into `workDir`; returns facts for the manifest's `info`. */
export type Producer = (workDir: string) => Promise<Record<string, unknown>>;

/** Options of {@linkcode ArtifactStore.ensure}. */
export interface EnsureOptions {
  /** Rebuild even if a valid artifact exists. */
  force?: boolean;
  /**
   * Keep the work folder between attempts (`<key>.partial`), for stages that checkpoint and
   * resume (training). Otherwise each attempt starts in a fresh temporary folder.
   */
  resumable?: boolean;
  /**
   * Runs once this process holds the artifact's lock, before the build (not when the artifact
   * is cached): what records the build is written here, so a build refused by the lock (another
   * process builds the artifact) writes nothing.
   */
  started?: () => Promise<void>;
  /**
   * Output files that check themselves when they are read (the training checkpoint carries a
   * checksum): when the manifest of a damaged artifact is unreadable, so that nothing says which
   * files are intact, these are still kept for a resumable rebuild, whose producer verifies them.
   */
  selfChecking?: readonly string[];
}

/** The result of {@linkcode ArtifactStore.ensure}. */
export interface EnsureResult {
  artifact: Artifact;
  /** true when the artifact already existed and was reused. */
  cached: boolean;
}

const MANIFEST = "manifest.json";

/** The code of a stage run (see {@linkcode StageSpec.code}). */
export function specCode(spec: StageSpec): Promise<CodeFingerprint> {
  return codeFingerprint(isStageCode(spec.code) ? spec.code.parts : spec.code);
}

/**
 * Computes the key of a stage run; a declared stage's inputs must be those it declares (an
 * Error otherwise: the table and the stage module disagree).
 */
export async function stageKey(spec: StageSpec): Promise<string> {
  if (isStageCode(spec.code)) checkInputs(spec.code.stage, spec.inputs);
  return await sha256Hex(canonicalJson({
    stage: spec.stage,
    code: (await specCode(spec)).hash,
    params: spec.params,
    inputs: spec.inputs,
  }));
}

/** Reads, verifies and builds artifacts under one root folder. */
export class ArtifactStore {
  /** The root folder (e.g. `artifacts/`). */
  readonly root: string;
  readonly #log: (line: string) => void;
  readonly #warn: (line: string) => void;

  /**
   * Opens a store rooted at `root` (created on first write). Status lines (`cached`,
   * `running`) go to `options.log`, warnings to `options.warn` (default: the console).
   */
  constructor(
    root: string,
    options: { log?: (line: string) => void; warn?: (line: string) => void } = {},
  ) {
    let isFolder = true;
    try {
      isFolder = Deno.statSync(root).isDirectory;
    } catch { /* created on first write */ }
    if (!isFolder) {
      throw new UserError(
        `the artifact folder ${root} is a file (FACE_COMPARER_ARTIFACTS names where artifacts live)`,
      );
    }
    this.root = root;
    this.#log = options.log ?? console.log;
    this.#warn = options.warn ?? console.warn;
  }

  /** The final folder of an artifact. */
  dirOf(stage: string, key: string): string {
    return join(this.root, stage, key);
  }

  /** The process building an artifact right now (a live lock holder), or undefined. */
  builder(stage: string, key: string): Promise<{ pid: number; since: string } | undefined> {
    return lockHolder(join(this.root, stage, `${key}.lock`));
  }

  /** The persistent work folder of a resumable stage run. */
  partialDirOf(stage: string, key: string): string {
    return join(this.root, stage, `${key}.partial`);
  }

  /**
   * Checks an artifact without changing anything: every output file's size against its
   * manifest, and its hash too unless size and modification time are those it was hashed with
   * (`FACE_COMPARER_VERIFY=full` re-hashes every file).
   */
  async inspect(stage: string, key: string): Promise<Inspection> {
    const dir = this.dirOf(stage, key);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST)));
      // Damage that leaves valid JSON (a changed byte): not this artifact's manifest.
      if (
        typeof manifest !== "object" || manifest === null || manifest.key !== key ||
        manifest.stage !== stage || typeof manifest.files !== "object" || manifest.files === null
      ) {
        throw new Error("it is not the manifest of this artifact");
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        if (await exists(dir)) {
          return { state: "damaged", dir, problem: "it has no manifest", damagedFiles: [] };
        }
        return { state: "missing" };
      }
      return {
        state: "damaged",
        dir,
        problem: `its manifest is unreadable (${(error as Error).message})`,
        damagedFiles: [],
      };
    }
    const problems = await verifyFiles(dir, manifest);
    if (problems.length > 0) {
      return {
        state: "damaged",
        dir,
        problem: problems.map((p) => p.problem).join("; "),
        damagedFiles: problems.map((p) => p.file),
        manifest,
      };
    }
    return { state: "ok", artifact: { stage, key, dir, manifest } };
  }

  /**
   * Loads a verified artifact, or `undefined` when it does not exist. Read-only: a damaged
   * artifact is left in place and reported as a {@linkcode UserError} that names the file and
   * says how to rebuild it.
   */
  async load(stage: string, key: string): Promise<Artifact | undefined> {
    const found = await this.inspect(stage, key);
    if (found.state === "missing") return undefined;
    if (found.state === "ok") return found.artifact;
    throw new UserError(
      `artifact ${relative(Deno.cwd(), found.dir)} is damaged: ${found.problem}; ` +
        `it was left as it is: rerun the task that builds it (e.g. deno task ${stage}) to repair it`,
    );
  }

  /**
   * Returns the artifact for `spec`, building it with `produce` if it is missing, damaged or
   * `force` is set. Prints `<stage>: cached (<key>)` or `<stage>: running (<key>)`.
   */
  async ensure(
    spec: StageSpec,
    produce: Producer,
    options: EnsureOptions = {},
  ): Promise<EnsureResult> {
    const log = this.#log;
    const key = await stageKey(spec);
    const short = key.slice(0, 12);
    const stageDir = join(this.root, spec.stage);
    let salvage: { dir: string; files: string[] } | undefined;
    if (!options.force) {
      const found = await this.inspect(spec.stage, key);
      if (found.state === "ok") {
        log(`${spec.stage}: cached (${short})`);
        return { artifact: found.artifact, cached: true };
      }
      if (found.state === "damaged") {
        // Moved aside, never deleted here: the intact files seed a resumable rebuild, and the
        // folder itself is removed only once the rebuilt artifact is in place.
        const aside = join(stageDir, `.${key}.damaged`);
        await Deno.remove(aside, { recursive: true }).catch(() => {});
        await Deno.rename(found.dir, aside);
        // Without a manifest, only the files that check themselves can be trusted.
        const intact = found.manifest
          ? Object.keys(found.manifest.files).filter((f) => !found.damagedFiles.includes(f))
          : await presentFiles(aside, options.selfChecking ?? []);
        salvage = { dir: aside, files: intact };
        this.#warn(
          `warning: artifact ${relative(Deno.cwd(), found.dir)} is damaged (${found.problem}); ` +
            (options.resumable && intact.length > 0
              ? `rebuilding it from its intact files (${intact.join(", ")})`
              : "rebuilding it"),
        );
      }
    }
    log(`${spec.stage}: running (${short})`);
    await Deno.mkdir(stageDir, { recursive: true });
    const lockPath = join(stageDir, `${key}.lock`);
    const lock = await acquireLock(lockPath, {
      busy: (holder) =>
        `${spec.stage}: this artifact is being built by process ${holder.pid} (since ${holder.since}); ` +
        `wait for it to finish or stop it (lock ${lockPath})`,
      warn: this.#warn,
    });
    try {
      await options.started?.();
      return await this.#build(spec, key, produce, { ...options, salvage });
    } finally {
      await lock.release();
    }
  }

  async #build(
    spec: StageSpec,
    key: string,
    produce: Producer,
    options: EnsureOptions & { salvage?: { dir: string; files: string[] } },
  ): Promise<EnsureResult> {
    const stageDir = join(this.root, spec.stage);
    const salvage = options.salvage;
    let workDir: string;
    if (options.resumable) {
      workDir = this.partialDirOf(spec.stage, key);
      if (options.force) await Deno.remove(workDir, { recursive: true }).catch(() => {});
      if (salvage) {
        await Deno.mkdir(workDir, { recursive: true });
        for (const file of salvage.files) {
          await Deno.mkdir(join(workDir, file, ".."), { recursive: true });
          await Deno.copyFile(join(salvage.dir, file), join(workDir, file));
        }
      }
    } else {
      // Temporary folders of this key left by killed runs (up to GBs for large prepares).
      await removeMatching(
        stageDir,
        (name) => name.startsWith(`.${key}.`) && name.endsWith(".tmp"),
      );
      workDir = join(stageDir, `.${key}.${crypto.randomUUID().slice(0, 8)}.tmp`);
    }
    await Deno.mkdir(workDir, { recursive: true });
    await removeStaleTemporaries(workDir);
    const started = performance.now();
    let info: Record<string, unknown>;
    try {
      info = await produce(workDir);
    } catch (error) {
      if (!options.resumable) await Deno.remove(workDir, { recursive: true }).catch(() => {});
      throw error;
    }
    const files = await hashTree(workDir);
    // A build of a declared stage must have written every output the table declares (a
    // stage that forgot one would otherwise be cached incomplete forever).
    const declared = declarationOf(spec.code);
    const missing = declared?.outputs.filter((f) => !(f in files)) ?? [];
    if (missing.length > 0) {
      if (!options.resumable) await Deno.remove(workDir, { recursive: true }).catch(() => {});
      throw new Error(
        `${declared!.name}: the build wrote no ${
          missing.join(", ")
        } (declared in lib/pipeline/stages.ts)`,
      );
    }
    const manifest: Manifest = {
      stage: spec.stage,
      key,
      code: await specCode(spec),
      git: await gitState(),
      params: spec.params,
      inputs: spec.inputs,
      files,
      createdAt: new Date().toISOString(),
      durationSeconds: (performance.now() - started) / 1000,
      tools: await toolVersions(),
      info,
    };
    await writeJsonAtomic(join(workDir, MANIFEST), manifest);
    const finalDir = this.dirOf(spec.stage, key);
    if (await exists(finalDir)) {
      // Move the old one aside first: a rename onto a non-empty folder fails.
      const trash = join(stageDir, `.${key}.${crypto.randomUUID().slice(0, 8)}.old`);
      await Deno.rename(finalDir, trash);
      await Deno.remove(trash, { recursive: true });
    }
    await Deno.rename(workDir, finalDir);
    if (salvage) await Deno.remove(salvage.dir, { recursive: true });
    return { artifact: { stage: spec.stage, key, dir: finalDir, manifest }, cached: false };
  }
}

/** Removes `.<name>.tmp` files that a killed atomic write left in a resumed work folder. */
async function removeStaleTemporaries(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.startsWith(".") && entry.name.endsWith(".tmp")) {
      await Deno.remove(join(dir, entry.name));
    }
  }
}

/** Those of `files` (paths relative to `dir`) that exist there as files. */
async function presentFiles(dir: string, files: readonly string[]): Promise<string[]> {
  const present: string[] = [];
  for (const file of files) {
    if (await Deno.stat(join(dir, file)).then((s) => s.isFile, () => false)) present.push(file);
  }
  return present;
}

/** Removes the entries of `dir` whose names match (a missing `dir` has none). */
async function removeMatching(dir: string, matches: (name: string) => boolean): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (matches(entry.name)) await Deno.remove(join(dir, entry.name), { recursive: true });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Hashes every file under `dir` (except the manifest), keyed by relative path. */
async function hashTree(dir: string): Promise<Record<string, FileRecord>> {
  const files: Record<string, FileRecord> = {};
  for (const path of await listFiles(dir)) {
    const rel = relative(dir, path);
    if (rel === MANIFEST) continue;
    const stat = await Deno.stat(path);
    const sha256 = await sha256File(path);
    // Stamped a whole second in the past: any later write sets the current time, which can
    // never equal it, even within the file system's timestamp granularity.
    const stamp = Math.floor(Date.now() / 1000) - 1;
    await Deno.utime(path, stat.atime ?? stamp, stamp);
    files[rel] = { sha256, bytes: stat.size, mtimeMs: stamp * 1000 };
  }
  return files;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await listFiles(path));
    else if (entry.isFile) out.push(path);
  }
  return out.sort();
}

/** Every output file of an artifact that is missing or differs from its manifest. */
async function verifyFiles(
  dir: string,
  manifest: Manifest,
): Promise<{ file: string; problem: string }[]> {
  const problems: { file: string; problem: string }[] = [];
  const full = Deno.env.get("FACE_COMPARER_VERIFY")?.toLowerCase() === "full";
  for (const [rel, record] of Object.entries(manifest.files ?? {})) {
    const path = join(dir, rel);
    let size: number;
    let mtimeMs: number | undefined;
    try {
      const stat = await Deno.stat(path);
      size = stat.size;
      mtimeMs = stat.mtime?.getTime();
    } catch {
      problems.push({ file: rel, problem: `${rel} is missing` });
      continue;
    }
    if (size !== record.bytes) {
      problems.push({ file: rel, problem: `${rel} has ${size} bytes, expected ${record.bytes}` });
      continue;
    }
    // Unchanged since it was hashed (a gigabyte-sized face array is not read again per task).
    if (!full && mtimeMs !== undefined && mtimeMs === record.mtimeMs) continue;
    const found = await sha256File(path);
    if (found !== record.sha256) {
      problems.push({
        file: rel,
        problem: `${rel} has sha256 ${found.slice(0, 12)}..., expected ${
          record.sha256.slice(0, 12)
        }...`,
      });
    }
  }
  return problems;
}
