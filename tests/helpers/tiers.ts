/**
 * The two test tiers. `deno task check` runs everywhere, on data the tests make themselves;
 * tests that need the LFW copy, headless Chromium, the built native kernels or a WebGPU adapter
 * (a software one such as Mesa's lavapipe counts) are ignored there
 * (Deno counts them as "ignored" in its summary, and each file says once why).
 * `deno task check:full` (`FACE_COMPARER_TEST_TIER=full`) runs them too, and a missing
 * requirement then fails the test instead of skipping it: CI runs both tiers.
 *
 * @example
 * ```ts
 * Deno.test({ name: "on LFW: ...", ignore: needs("lfw"), fn: () => {} });
 * ```
 * @module
 */
import { join } from "node:path";
import { lfwDataRoot } from "../../lib/config/defaults.ts";
import { loadNativeKernels } from "../../lib/backend/native_kernels.ts";
import { jpegDecoder } from "../../lib/data/native_jpeg.ts";
import { probeWebGpu } from "../../lib/backend/select_backend.ts";
import { CHROMIUM } from "./chromium.ts";

/** What a test may need beyond the checkout. */
export type Requirement = "lfw" | "chromium" | "native" | "webgpu";

/** Whether this run is `deno task check:full`. */
export const FULL_TIER = Deno.env.get("FACE_COMPARER_TEST_TIER") === "full";

// Asking for an adapter is asynchronous, and test files decide `ignore` as they load: a file
// that needs WebGPU awaits `probeWebGpuRequirement()` first (only it pays for the probe). The
// reason names the fix: --unstable-webgpu, or a Vulkan driver (Debian: apt-get install
// mesa-vulkan-drivers gives the software adapter lavapipe, enough for the tests).
let WEBGPU_UNMET: string | undefined = "WebGPU not probed (await probeWebGpuRequirement() first)";

/** Asks for a WebGPU adapter once, so that `needs("webgpu")` can say whether there is one. */
export async function probeWebGpuRequirement(): Promise<void> {
  const probe = await probeWebGpu();
  WEBGPU_UNMET = probe.adapter ? undefined : probe.reason;
}

/** Why `requirement` is not met here, or undefined when it is. */
export function unmet(requirement: Requirement): string | undefined {
  switch (requirement) {
    case "lfw": {
      const root = lfwDataRoot();
      try {
        Deno.statSync(join(root, "protocol", "pairs.txt"));
        Deno.statSync(join(root, "lfw-original-150"));
        return undefined;
      } catch {
        return `no LFW copy at ${root} (set FACE_COMPARER_LFW)`;
      }
    }
    case "chromium":
      return CHROMIUM ? undefined : "no Chromium (Debian: apt-get install chromium)";
    case "native": {
      // Both native libraries: the training kernels and the JPEG decoder.
      const status = loadNativeKernels();
      if (!status.available) return status.reason;
      const decoder = jpegDecoder();
      return decoder.available ? undefined : decoder.reason;
    }
    case "webgpu":
      return WEBGPU_UNMET;
  }
}

const said = new Set<string>();

/**
 * The `ignore` flag of a test that needs `requirements`: true in the basic tier (saying why
 * once per requirement); in the full tier false, after checking each requirement is met (a
 * missing one throws, so the tier fails rather than skips).
 */
export function needs(...requirements: Requirement[]): boolean {
  if (FULL_TIER) {
    const missing = requirements.map(unmet).filter((r): r is string => r !== undefined);
    if (missing.length > 0) {
      throw new Error(
        `deno task check:full: a required resource is missing: ${missing.join("; ")}`,
      );
    }
    return false;
  }
  const key = requirements.join("+");
  if (!said.has(key)) {
    said.add(key);
    console.warn(
      `ignored in \`deno task check\`: tests that need ${
        requirements.map((r) =>
          ({
            lfw: "LFW",
            chromium: "Chromium",
            native: "the native libraries",
            webgpu: "a WebGPU adapter",
          })[r]
        ).join(" and ")
      } (\`deno task check:full\` runs them)${
        // Only the adapter is known without side effects (loading the native library has some).
        requirements.includes("webgpu") && WEBGPU_UNMET ? `; here: ${WEBGPU_UNMET}` : ""}`,
    );
  }
  return true;
}
