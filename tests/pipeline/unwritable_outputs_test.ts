/**
 * Places the machine refuses to write (no permission; the tests run as root too, where only a
 * file system such as /sys refuses) are one line naming the place, exit 1, in every task that
 * writes there: report --out, compare --out, export, and the artifact folder itself.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const root = tempDir();

/** A folder this process cannot write into. */
function unwritable(): string {
  if (Deno.uid() === 0) return `/sys/fc_test_${crypto.randomUUID().slice(0, 8)}`;
  const dir = tempDir();
  Deno.chmodSync(dir, 0o555);
  return dir;
}

async function task(name: string, args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--unstable-webgpu",
      fileURLToPath(new URL(`../../tasks/${name}.ts`, import.meta.url)),
      ...args,
    ],
    env: { FACE_COMPARER_ARTIFACTS: root, NO_COLOR: "1", ...env },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

/** Exit 1 and one line `TASK: error: cannot ... PLACE...: <refusal>`. */
function refused(result: { code: number; stderr: string }, name: string, place: string) {
  assert.equal(result.code, 1, result.stderr);
  // Warnings aside (an untrained model's), one line: no stack trace.
  const lines = result.stderr.split("\n").filter((l) => !/: warning: /.test(l));
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(
    lines[0].startsWith(`${name}: error: cannot `) && lines[0].includes(place) &&
      /(permission denied|operation not permitted|read-only file system)$/.test(lines[0]),
    result.stderr,
  );
}

Deno.test("unwritable outputs and artifact folders are one-line errors naming the place", async () => {
  const store = new ArtifactStore(root, { log: () => {}, warn: () => {} });
  await trainExperiment(store, tinyTrainOptions(images, "demo", "seed"));
  const place = unwritable();
  refused(await task("report", ["demo", "--out", join(place, "report.html")]), "report", place);
  refused(await task("export", ["demo", join(place, "export")]), "export", place);
  const face = (n: number) => join(images, "faces", `Pgm_Person0_000${n}.pgm`);
  refused(
    await task("compare", ["demo", face(1), face(2), "--out", join(place, "out.tsv")]),
    "compare",
    place,
  );
  const trained = await task("train", [
    "demo",
    "--images",
    images,
    "--model",
    "seed",
  ], { FACE_COMPARER_ARTIFACTS: join(place, "artifacts") });
  refused(trained, "train", place);
});
