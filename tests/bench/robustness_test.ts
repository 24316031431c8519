/**
 * The robustness benchmark's mechanics on drawn faces: every transform re-frames a photo as
 * described, every transformed face is found and aligned to about the same crop, images without
 * a face get no verdict, and with a model each transform gets an accuracy.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import {
  formatRobustness,
  ROBUSTNESS_TRANSFORMS,
  runRobustness,
  samplePairs,
  transformPhoto,
} from "../../lib/bench/robustness.ts";
import {
  makeRobustnessRecord,
  readRobustnessRecords,
  ROBUSTNESS_MARKERS,
  robustnessMarkdown,
} from "../../lib/bench/robustness_record.ts";
import { markedTable, replaceMarkedTable } from "../../lib/pipeline/results_table.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { FaceDetector } from "../../lib/compare/face_detector.ts";
import { LFW_ORIGINAL_LANDMARKS } from "../../lib/config/canonical_landmarks.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";
import { drawnFaces } from "../helpers/synthetic_faces.ts";

const dir = tempDir();

Deno.test("each transform re-frames a 250x250 photo as described", async () => {
  const photo = await Deno.readFile(
    await drawnFaces(join(dir, "p.png"), { width: 250, height: 250 }),
  );
  const expected: Record<string, [number, number] | undefined> = {
    none: [250, 250],
    offcentre: [625, 500],
    zoomed: [250, 250],
    portrait: [309, 550],
    brightness: [250, 250],
    jpeg30: [250, 250],
    face80: [200, 200],
  };
  for (const t of ROBUSTNESS_TRANSFORMS) {
    const out = await transformPhoto(photo, t);
    const meta = await sharp(out).metadata();
    if (expected[t]) assert.deepEqual([meta.width, meta.height], expected[t], t);
    if (t === "jpeg30") assert.equal(meta.format, "jpeg");
    if (t.startsWith("rotated")) assert.ok(meta.width! > 250 && meta.height! > 250, t);
  }
});

Deno.test("balanced pair samples", () => {
  const pairs = Array.from({ length: 20 }, (_, i) => ({ a: `a${i}`, b: `b${i}`, same: i < 10 }));
  const sample = samplePairs(pairs, 6);
  assert.equal(sample.length, 6);
  assert.equal(sample.filter((p) => p.same).length, 3);
  assert.deepEqual(samplePairs(pairs, 6), sample, "seeded");
  assert.equal(samplePairs(pairs, 50).length, 20);
});

Deno.test("robustness on drawn faces: no photo refused under any transform, aligned crops agree, faceless images get no verdict; with a model, an accuracy per transform", async () => {
  await selectBackend("wasm", { log: () => {} });
  const detector = await FaceDetector.open();
  const people = [
    {},
    { skin: ["#e0b090", "#8a5a3a"] as [string, string], hair: "#111" },
  ];
  const photo = (p: number, n: number) =>
    drawnFaces(join(dir, `person${p}_${n}.png`), { width: 250, height: 250 }, [{
      ...people[p],
      scale: n === 1 ? 1 : 0.92,
      rotation: n === 1 ? 0 : 4,
    }]);
  const paths = [[await photo(0, 1), await photo(0, 2)], [await photo(1, 1), await photo(1, 2)]];
  const pairs = [
    { a: paths[0][0], b: paths[0][1], same: true },
    { a: paths[1][0], b: paths[1][1], same: true },
    { a: paths[0][0], b: paths[1][1], same: false },
    { a: paths[1][0], b: paths[0][1], same: false },
  ];
  const common = {
    pairs,
    detector,
    canonical: LFW_ORIGINAL_LANDMARKS.points,
  };
  const crops = await runRobustness({
    ...common,
    prepare: { box: [75, 84, 175, 184], size: 64 },
  });
  assert.deepEqual(crops.rows.map((r) => r.transform), ["fixed box", ...ROBUSTNESS_TRANSFORMS]);
  for (const r of crops.rows) {
    assert.equal(r.refusedPhotos, 0, r.transform);
    assert.equal(r.accuracy, null);
    // (The drawn face's proportions are not LFW's mean: its fixed-box crop is another crop.)
    if (r.transform !== "fixed box") {
      assert.ok(r.cropAgreementNone! > 0.8, `${r.transform}: r ${r.cropAgreementNone}`);
    }
  }
  assert.deepEqual(crops.faceless, { images: 3, faces: 0, verdicts: null });
  assert.match(
    formatRobustness(crops).join("\n"),
    /faceless images: 3, a face found in 0 \(goal 0\)/,
  );

  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  await trainExperiment(store, tinyTrainOptions(images, "tiny", "seed"));
  const comparer = await FaceComparer.open(store, "tiny", { backend: "wasm" });
  try {
    const scored = await runRobustness({ ...common, prepare: comparer.prepare, comparer });
    assert.equal(scored.threshold, comparer.calibratedThreshold);
    for (const r of scored.rows) {
      assert.ok(r.accuracy !== null && r.accuracy >= 0 && r.accuracy <= 1, r.transform);
      assert.equal(r.accuracyCompared, r.accuracy, "nothing refused: the same accuracy");
    }
    assert.deepEqual(scored.faceless, { images: 3, faces: 0, verdicts: 0 });

    // Its record: the figures with their command, commit, machine and time; the README's table.
    const record = await makeRobustnessRecord(scored, {
      experiment: "tiny",
      model: comparer.params.model.name,
      images: dir,
      protocol: "pairsDevTest.txt",
      detector: detector.describe(),
      canonical: "lfw-original",
      transforms: {},
      command: "deno task bench --robustness tiny",
      seconds: 95,
    });
    assert.equal(record.machine.cores, navigator.hardwareConcurrency);
    const records = tempDir();
    Deno.writeTextFileSync(join(records, "tiny.json"), JSON.stringify(record));
    const read = await readRobustnessRecords(records);
    assert.deepEqual(read.map((r) => r.record), [JSON.parse(JSON.stringify(record))]);
    const table = robustnessMarkdown(read);
    const lines = table.split("\n");
    assert.match(lines[0], /^\*\*tiny\*\* \(seed\): 4 View 1 test pairs at its threshold/);
    assert.match(lines[0], /`deno task bench --robustness tiny`, commit .*, 2 min/);
    const none = scored.rows.find((r) => r.transform === "none")!.accuracy!;
    const rotated = scored.rows.find((r) => r.transform === "rotated20")!.accuracy!;
    const delta = (100 * (rotated - none)).toFixed(1);
    assert.ok(
      lines.includes(
        `| rotated20 | ${(100 * rotated).toFixed(1)}% | ${
          rotated >= none ? "+" : ""
        }${delta} | 0/4 | ${scored.rows.find((r) => r.transform === "rotated20")!.description} |`,
      ),
      table,
    );
    assert.match(
      table,
      /Images without a face \(blank, noise, a landscape\): 3, a face found in 0, verdicts 0/,
    );
    const readme = `a\n${ROBUSTNESS_MARKERS.begin}\nold\n${ROBUSTNESS_MARKERS.end}\nb`;
    assert.equal(
      markedTable(replaceMarkedTable(readme, table, ROBUSTNESS_MARKERS), ROBUSTNESS_MARKERS),
      table,
    );
    // A file that is not such a record is a one-line error naming it.
    Deno.writeTextFileSync(join(records, "z.json"), '{"format":1}');
    await assert.rejects(
      () => readRobustnessRecords(records),
      /z\.json is damaged \(not a robustness record/,
    );
  } finally {
    comparer.dispose();
  }
});
