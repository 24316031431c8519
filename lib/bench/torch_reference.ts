/**
 * Running the PyTorch peer (`../shared/peers/torch_seed_model.py`) and reading its figures.
 * @module
 */
import { runPythonPeer } from "./python_peer.ts";

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
  const run = await runPythonPeer(script, [String(threads)], {
    module: /No module named 'torch'/,
    hint: "torch is not installed (apt-get install python3-torch)",
  });
  return run.ok ? parseTorchLine(run.text) : { ok: false, reason: run.reason };
}
