/**
 * Versions of the tools that produce artifacts, recorded in every manifest.
 * @module
 */
import denoConfig from "../../deno.json" with { type: "json" };

let cached: Record<string, string> | undefined;

/** Deno, V8 and TypeScript versions plus the pinned npm packages of `deno.json`. */
export function toolVersions(): Promise<Record<string, string>> {
  if (!cached) {
    cached = {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      os: `${Deno.build.os}-${Deno.build.arch}`,
    };
    for (const [name, spec] of Object.entries(denoConfig.imports)) {
      const at = spec.lastIndexOf("@");
      cached[name] = spec.slice(at + 1);
    }
  }
  return Promise.resolve(cached);
}
