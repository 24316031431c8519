/**
 * Running the PyTorch peer (`../shared/peers/torch_seed_model.py`) and reading its figures.
 * @module
 */

/** The reference's figures, or why there are none. */
export interface TorchReference {
  ok: boolean;
  reason?: string;
  version?: string;
  threads?: number;
  trainPairsPerSecond?: number;
  forwardImagesPerSecond?: number;
}

/** Parses the peer's one output line ("torch V threads=N train_pairs_per_s=X forward_images_per_s=Y"). */
export function parseTorchLine(text: string): TorchReference {
  const m = /torch (\S+) threads=(\d+) train_pairs_per_s=([\d.]+) forward_images_per_s=([\d.]+)/
    .exec(text);
  if (!m) return { ok: false, reason: `unexpected output: ${text.trim().split("\n").pop() ?? ""}` };
  return {
    ok: true,
    version: m[1],
    threads: Number(m[2]),
    trainPairsPerSecond: Number(m[3]),
    forwardImagesPerSecond: Number(m[4]),
  };
}

/** Runs the peer script with Debian's python3 (where python3-torch lives) on `threads` threads. */
export async function runTorchReference(script: string, threads: number): Promise<TorchReference> {
  try {
    await Deno.stat(script);
  } catch {
    return { ok: false, reason: `no reference script at ${script}` };
  }
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, String(threads)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (!out.success) {
      const missing = /No module named 'torch'/.test(text);
      return {
        ok: false,
        reason: missing
          ? "torch is not installed (apt-get install python3-torch)"
          : text.trim().split("\n").pop(),
      };
    }
    return parseTorchLine(text);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
