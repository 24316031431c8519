/**
 * Lock files: one holder at a time, by a file created exclusively that names the holder's
 * process. A lock whose process is gone is stale and taken over with a warning. Two holders in
 * one process (two async calls) are told apart by a token only the live holder knows, so a lock
 * left by an earlier process that had this very process id (a container restarted) is stale too.
 * @module
 */
import { dirname } from "node:path";
import { UserError } from "./errors.ts";

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  since: string;
  /** Tells two holders of one process apart. */
  token?: string;
  /** What the holder is doing, in words. */
  doing?: string;
}

/** A lock taken by {@linkcode acquireLock}. */
export interface Lock {
  release(): Promise<void>;
}

/** Tokens of the locks this process holds now. */
const HELD = new Set<string>();

/** Whether a process with this id runs on this machine (unknown platforms: assume it does). */
export function processAlive(pid: number): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Whether `holder` holds its lock now (a live process, or a live call of this one). */
export function holderAlive(holder: Partial<LockHolder>): boolean {
  if (typeof holder.pid !== "number") return false;
  if (holder.pid === Deno.pid) return holder.token !== undefined && HELD.has(holder.token);
  return processAlive(holder.pid);
}

/** The live holder of the lock at `path`, or undefined. */
export async function lockHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await Deno.readTextFile(path));
    return holderAlive(holder) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode acquireLock}. */
export interface LockOptions {
  /** The error message when a live holder keeps the lock. */
  busy: (holder: LockHolder) => string;
  /** Where the warning about a stale lock goes. */
  warn: (line: string) => void;
  /** How long to wait for a live holder to let go (default 0: refuse at once). */
  waitMs?: number;
  /** What this holder is doing, written into the lock. */
  doing?: string;
}

/** How long an empty lock file (its writer between create and write) is waited for. */
const EMPTY_LOCK_MS = 2_000;

/**
 * Takes the lock file `path` (its folder is created): a live holder is waited for up to
 * `waitMs`, then a UserError (`options.busy`); a stale lock is removed with a warning.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<Lock> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const token = crypto.randomUUID();
  const mine = JSON.stringify(
    {
      pid: Deno.pid,
      since: new Date().toISOString(),
      token,
      ...(options.doing ? { doing: options.doing } : {}),
    } satisfies LockHolder,
  );
  const deadline = performance.now() + (options.waitMs ?? 0);
  let delay = 5;
  let emptySince: number | undefined;
  for (let stale = 0; stale < 3;) {
    // Known as held before the file exists: another call of this process reading it must not
    // take it for a stale one.
    HELD.add(token);
    try {
      await Deno.writeTextFile(path, mine, { createNew: true });
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          HELD.delete(token);
          await Deno.remove(path).catch(() => {});
        },
      };
    } catch (error) {
      HELD.delete(token);
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    let holder: Partial<LockHolder> = {};
    let text = "";
    try {
      text = await Deno.readTextFile(path);
      holder = JSON.parse(text);
      emptySince = undefined;
    } catch (error) {
      // Vanished: try again. Half-written (its writer is between create and write, which on a
      // loaded machine can take a while): wait up to EMPTY_LOCK_MS before calling it stale. The
      // wait is for one empty file: once the lock is seen gone or written, a later empty file is
      // another holder's, timed afresh (else a fresh lock could be taken for a stale one).
      if (error instanceof Deno.errors.NotFound) {
        emptySince = undefined;
        continue;
      }
      if (text === "") {
        emptySince ??= performance.now();
        if (performance.now() < Math.max(deadline, emptySince + EMPTY_LOCK_MS)) {
          await sleep(delay);
          continue;
        }
      }
    }
    if (holderAlive(holder)) {
      if (performance.now() >= deadline) throw new UserError(options.busy(holder as LockHolder));
      await sleep(delay);
      delay = Math.min(100, delay * 2);
      continue;
    }
    options.warn(`warning: removing the stale lock ${path} of process ${holder.pid ?? "?"}`);
    // Only the stale file itself: a holder that took it meanwhile keeps its own.
    if ((await Deno.readTextFile(path).catch(() => undefined)) === text) {
      await Deno.remove(path).catch(() => {});
    }
    stale++;
  }
  throw new UserError(`could not take the lock ${path}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
