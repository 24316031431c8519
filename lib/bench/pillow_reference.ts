/**
 * Running the Pillow peer of `prepare` (`../shared/peers/pillow_prepare.py`: the LFWcrop box cut,
 * resized to 64x64 grey with Pillow on one core) and reading its figure.
 * @module
 */

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
  try {
    await Deno.stat(script);
  } catch {
    return { ok: false, reason: `no reference script at ${script}` };
  }
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, imagesDir, String(limit)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (!out.success) {
      return {
        ok: false,
        reason: /No module named '(PIL|numpy)'/.test(text)
          ? "Pillow is not installed (apt-get install python3-pil python3-numpy)"
          : text.trim().split("\n").pop(),
      };
    }
    return parsePillowLine(text);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
