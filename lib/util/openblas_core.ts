/**
 * Which OpenBLAS kernel set (core type) this project's processes load, and opening a library
 * that links OpenBLAS with that choice applied. OpenBLAS reads OPENBLAS_CORETYPE once, when it
 * loads, and is loaded once per process: whichever library opens it first (the native training
 * kernels, or the float64 routines of `lib/linalg/openblas.ts`) decides for both, so both open
 * it here.
 *
 * @example
 * ```ts
 * import { dlopenWithOpenBlasCore } from "./openblas_core.ts";
 * const { symbols } = dlopenWithOpenBlasCore("libopenblas.so.0", {
 *   openblas_get_num_threads: { parameters: [], result: "i32" },
 * });
 * ```
 * @module
 */

/**
 * The OpenBLAS core type (kernel set) worth forcing on a CPU whose `/proc/cpuinfo` text is
 * `cpuinfo`, or undefined where OpenBLAS's own choice is right. On AMD CPUs with AVX-512 (Zen 4,
 * Zen 5) OpenBLAS does not always use it: older releases know Zen only as an AVX2 core, and a
 * machine-wide OPENBLAS_CORETYPE (the development machine sets `Haswell` for every program)
 * overrides its detection. Its SkylakeX kernels train the seed network about 1.5x faster there
 * (measured on a 2-core Zen 5: 297 -> 457 pairs/s).
 */
export function preferredOpenBlasCore(cpuinfo: string): string | undefined {
  if (!/^vendor_id\s*:\s*AuthenticAMD/m.test(cpuinfo)) return undefined;
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? "").trim().split(/\s+/));
  const avx512 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"];
  return avx512.every((flag) => flags.has(flag)) ? "SkylakeX" : undefined;
}

/**
 * What to set OPENBLAS_CORETYPE to before OpenBLAS loads (it reads it once, at load), from
 * FACE_COMPARER_BLAS_CORE: unset or `auto` picks {@linkcode preferredOpenBlasCore} (overriding
 * an OPENBLAS_CORETYPE of the environment, which applies to every program and is often a
 * blanket safe choice), `openblas` leaves OpenBLAS's own choice and OPENBLAS_CORETYPE alone,
 * any other value names the core type to force.
 */
export function openBlasCoreSetting(
  setting: string | undefined,
  cpuinfo: string,
): string | undefined {
  const value = setting?.trim() ?? "";
  if (value === "" || value.toLowerCase() === "auto") return preferredOpenBlasCore(cpuinfo);
  if (value.toLowerCase() === "openblas") return undefined;
  return value;
}

/** This machine's /proc/cpuinfo, or "" where there is none. */
export function readCpuinfo(): string {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo");
  } catch {
    return ""; // Not Linux, or no /proc: OpenBLAS decides alone, features are not checked.
  }
}

/**
 * Opens `path` (a library that is or links OpenBLAS) with OPENBLAS_CORETYPE set for OpenBLAS to
 * read as it loads, then puts the environment back as it was, so that programs this one starts
 * (the PyTorch reference of `bench`, say) see the machine's own setting. Returns the library's
 * symbols and the core the user named in FACE_COMPARER_BLAS_CORE, if any. Throws what
 * `Deno.dlopen` throws.
 */
export function dlopenWithOpenBlasCore<S extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: S,
  cpuinfo: string = readCpuinfo(),
): { symbols: Deno.DynamicLibrary<S>["symbols"]; requestedCore?: string } {
  const setting = Deno.env.get("FACE_COMPARER_BLAS_CORE");
  const core = openBlasCoreSetting(setting, cpuinfo);
  const before = Deno.env.get("OPENBLAS_CORETYPE");
  // Workers open the library at the same time: one that finds the value another has just set
  // leaves it alone, so that no one puts back a value that was never the machine's.
  const change = core !== undefined && core !== before;
  if (change) Deno.env.set("OPENBLAS_CORETYPE", core);
  try {
    return {
      symbols: Deno.dlopen(path, symbols).symbols,
      requestedCore: core !== undefined && core === setting?.trim() ? core : undefined,
    };
  } finally {
    if (change && before === undefined) Deno.env.delete("OPENBLAS_CORETYPE");
    else if (change) Deno.env.set("OPENBLAS_CORETYPE", before!);
  }
}
