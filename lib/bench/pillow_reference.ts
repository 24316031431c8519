/**
 * Running the Pillow peer of `prepare` (`../shared/peers/pillow_prepare.py`: the LFWcrop box cut,
 * resized to 64x64 grey with Pillow on one core) and reading its figure.
 * @module
 */
import { runPythonPeer } from "./python_peer.ts";

/** The reference's figure, or why there is none. */
export interface PillowReference {
  ok: boolean;
  reason?: string;
  version?: string;
  images?: number;
  imagesPerSecond?: number;
}

/** Parses the peer's line "pillow VERSION images=N seconds=S images_per_s=R". */
export function parsePillowLine(text: string): PillowReference {
  const m = /pillow (\S+) images=(\d+) seconds=([\d.]+) images_per_s=([\d.]+)/.exec(text);
  if (!m) return { ok: false, reason: `unexpected output: ${text.trim().split("\n").pop() ?? ""}` };
  return { ok: true, version: m[1], images: Number(m[2]), imagesPerSecond: Number(m[4]) };
}

/** Runs the peer with Debian's python3 (python3-pil, python3-numpy) on the first `limit` images. */
export async function runPillowReference(
  script: string,
  imagesDir: string,
  limit: number,
): Promise<PillowReference> {
  const run = await runPythonPeer(script, [imagesDir, String(limit)], {
    module: /No module named '(PIL|numpy)'/,
    hint: "Pillow is not installed (apt-get install python3-pil python3-numpy)",
  });
  return run.ok ? parsePillowLine(run.text) : { ok: false, reason: run.reason };
}
