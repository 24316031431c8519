/**
 * Headless Chromium for the browser tests (Debian's package, installed by .ci/run).
 * @module
 */
import { tempDir } from "./fixtures.ts";

/** The Chromium binary, or undefined when none is installed (browser tests are then ignored). */
export const CHROMIUM: string | undefined = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  },
);

/** Runs headless Chromium on `url` with extra flags; returns its stdout, stderr and success. */
export async function runChromium(
  url: string,
  flags: string[],
): Promise<{ stdout: string; stderr: string; success: boolean }> {
  if (!CHROMIUM) throw new Error("Chromium is not installed");
  const out = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${tempDir("fc_chromium_")}`,
      ...flags,
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    success: out.success,
  };
}
