/**
 * Outputs replace only what the toolkit wrote: `report --out` an earlier report, `export` an
 * earlier export (with --force); a photo, someone's weights.bin or compare.html under those names
 * is refused (with --force too) and left as it was; `compare --out` replaces only earlier
 * results of compare. An empty FACE_COMPARER_ARTIFACTS is refused
 * instead of writing into the folder a task runs in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { formatResults } from "../../lib/compare/pair_list.ts";
import {
  assertCompareResultsReplaceable,
  assertExportFolder,
  assertReportReplaceable,
  EXPORTED_FILES,
} from "../../lib/pipeline/output_guard.ts";
import { EXPORT_FILES } from "../../lib/compare/export_experiment.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const root = tempDir();
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

async function task(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  cwd = tempDir(),
) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--unstable-webgpu",
      fileURLToPath(new URL(`../../tasks/${name}.ts`, import.meta.url)),
      ...args,
    ],
    cwd,
    env: { FACE_COMPARER_ARTIFACTS: root, NO_COLOR: "1", ...env },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("report --out and export replace only what the toolkit wrote", async () => {
  await trainExperiment(
    new ArtifactStore(root, { log: () => {}, warn: () => {} }),
    tinyTrainOptions(images, "demo", "seed"),
  );
  const out = tempDir();
  // report --out onto a photo: refused, the photo kept; onto an earlier report: replaced.
  Deno.writeFileSync(join(out, "photo.png"), PNG);
  const onPhoto = await task("report", ["demo", "--out", join(out, "photo.png")]);
  assert.equal(onPhoto.code, 1, onPhoto.stderr);
  assert.match(onPhoto.stderr, /^report: error: --out: .*photo\.png exists and is not a report/);
  assert.deepEqual(Deno.readFileSync(join(out, "photo.png")), PNG);
  for (let run = 0; run < 2; run++) {
    const report = await task("report", ["demo", "--out", join(out, "report.html")]);
    assert.equal(report.code, 0, report.stderr);
  }

  // compare --out onto a photo or onto its own pair list: refused before anything is read.
  const list = join(out, "pairs.tsv");
  Deno.writeTextFileSync(list, "a.png\tb.png\n");
  for (
    const [args, message] of [
      [
        ["a.png", "b.png", "--out", join(out, "photo.png")],
        /photo\.png exists and is not a results file compare wrote/,
      ],
      [["--pairs", list, "--out", list], /is the pair list itself/],
    ] as const
  ) {
    const compared = await task("compare", ["demo", ...args, "--no-detect"]);
    assert.equal(compared.code, 1, compared.stderr);
    assert.match(compared.stderr, message);
  }
  assert.deepEqual(Deno.readFileSync(join(out, "photo.png")), PNG);
  assert.equal(Deno.readTextFileSync(list), "a.png\tb.png\n");

  // export: someone's weights.bin or compare.html is refused, --force or not, and kept.
  for (const file of ["weights.bin", "compare.html"]) {
    const dir = tempDir();
    Deno.writeTextFileSync(join(dir, file), "not yours");
    for (const force of [[], ["--force"]]) {
      const exported = await task("export", ["demo", dir, ...force]);
      assert.equal(exported.code, 1, exported.stderr);
      assert.match(
        exported.stderr,
        new RegExp(`holds ${file.replace(".", "\\.")}, which no export wrote`),
      );
      assert.equal(Deno.readTextFileSync(join(dir, file)), "not yours");
    }
  }
  // An earlier export: replaced with --force only.
  const dir = join(tempDir(), "export");
  assert.equal((await task("export", ["demo", dir])).code, 0);
  const again = await task("export", ["demo", dir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds an exported model \(model\.json\); use --force/);
  const forced = await task("export", ["demo", dir, "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
});

Deno.test("what counts as the toolkit's own: reports old and new, exports, and the report's comparison pages", async () => {
  // The guard knows every file an export writes.
  assert.deepEqual([...EXPORTED_FILES].sort(), [...EXPORT_FILES, "model_card.md"].sort());
  const dir = tempDir();
  const old = join(dir, "old.html");
  Deno.writeTextFileSync(
    old,
    `<!DOCTYPE html>\n<html><head><style>${"x".repeat(5000)}</style></head><body>` +
      "<p>Generated 2026 by <code>deno task report</code>.</p></body></html>",
  );
  await assertReportReplaceable(old);
  const page = join(dir, "page.html");
  Deno.writeTextFileSync(page, "<!DOCTYPE html><html><body>my page</body></html>");
  await assert.rejects(() => assertReportReplaceable(page), UserError);
  // The report's comparison pages: an earlier one is replaced, someone's files are not.
  const pages = join(dir, "compare_demo");
  Deno.mkdirSync(pages);
  await assertExportFolder(pages, { replace: true, what: "the folder" });
  Deno.writeTextFileSync(join(pages, "compare.html"), "mine");
  await assert.rejects(
    () => assertExportFolder(pages, { replace: true, what: "the folder" }),
    /holds compare\.html, which no export wrote/,
  );
  Deno.writeTextFileSync(join(pages, "preprocessing.json"), '{"experiment":"demo","model":"seed"}');
  Deno.writeTextFileSync(join(pages, "model.json"), '{"modelTopology":{},"weightsManifest":[]}');
  await assertExportFolder(pages, { replace: true, what: "the folder" });

  // compare's own results, TSV and JSON, are replaced; a pair list or notes are not.
  const header = {
    experiment: "demo",
    threshold: 0.5,
    threshold_source: "validation set",
    faces: "--no-detect",
    probability: "calibrated",
  };
  for (const format of ["tsv", "json"] as const) {
    const file = join(dir, `results.${format}`);
    Deno.writeTextFileSync(file, formatResults(format, header, []));
    await assertCompareResultsReplaceable(file);
  }
  const notes = join(dir, "notes.txt");
  Deno.writeTextFileSync(notes, "# experiment notes\nsame\ta.png\tb.png\n");
  await assert.rejects(() => assertCompareResultsReplaceable(notes), /not a results file/);
  await assert.rejects(() => assertCompareResultsReplaceable(dir), /is a folder/);
});

Deno.test("an empty FACE_COMPARER_ARTIFACTS is refused, nothing is written where the task runs", async () => {
  const cwd = tempDir();
  const { code, stderr } = await task("experiments", [], { FACE_COMPARER_ARTIFACTS: "" }, cwd);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /^experiments: error: FACE_COMPARER_ARTIFACTS is set but empty/);
  const trained = await task(
    "train",
    ["demo", "--images", images, "--model", "seed"],
    { FACE_COMPARER_ARTIFACTS: " " },
    cwd,
  );
  assert.equal(trained.code, 1, trained.stderr);
  assert.match(trained.stderr, /FACE_COMPARER_ARTIFACTS is set but empty/);
  assert.deepEqual([...Deno.readDirSync(cwd)], []);
});
