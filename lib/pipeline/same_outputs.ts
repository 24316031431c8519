/**
 * Whether two artifacts hold the same data: the same output files by content (their manifests'
 * hashes), whatever version of the code made them. Runs made before and after a change of the
 * data code (prepare, split) still agree on faces and pairs when their outputs do.
 * @module
 */
import type { Artifact, ArtifactStore } from "./artifact_store.ts";

/** Whether `a` and `b` have the same output files, by name and content. */
export function sameContent(a: Artifact, b: Artifact): boolean {
  if (a.key === b.key) return true;
  const files = (x: Artifact) =>
    Object.entries(x.manifest.files).map(([name, f]) => `${name} ${f.sha256}`).sort().join("\n");
  return files(a) === files(b);
}

/** Whether artifact `key` of `stage` exists and holds the same output files as `other`. */
export async function sameOutputs(
  store: ArtifactStore,
  stage: string,
  key: string,
  other: Artifact,
): Promise<boolean> {
  if (key === other.key) return true;
  const artifact = await store.load(stage, key);
  return artifact !== undefined && sameContent(artifact, other);
}
