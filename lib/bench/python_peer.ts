/**
 * Running a Python peer script of `bench` (the PyTorch and Pillow references in
 * `../shared/peers/`) with Debian's python3, where the distribution's packages live.
 * @module
 */

/** A peer's output text, or why it did not run. */
export type PeerRun = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Runs `script` with `args`; `missing` maps a module that failed to import (matched in the
 * output) to the install hint to give instead of the traceback.
 */
export async function runPythonPeer(
  script: string,
  args: string[],
  missing: { module: RegExp; hint: string },
): Promise<PeerRun> {
  try {
    await Deno.stat(script);
  } catch {
    return { ok: false, reason: `no reference script at ${script}` };
  }
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (out.success) return { ok: true, text };
    return {
      ok: false,
      reason: missing.module.test(text) ? missing.hint : text.trim().split("\n").pop() ?? "",
    };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
