/**
 * Detection, alignment and refusal in `compare`: drawn faces moved, scaled and rotated in their
 * photos are read as the same crop; photos without a face are refused, one line each, and in a
 * list only their pair fails.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { FACE_BOXES } from "../../lib/config/defaults.ts";
import { LFW_ORIGINAL_LANDMARKS } from "../../lib/config/canonical_landmarks.ts";
import { FaceDetector } from "../../lib/compare/face_detector.ts";
import { NoFaceError, readFace } from "../../lib/compare/face_image.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";
import { drawnFaces, facelessImages } from "../helpers/synthetic_faces.ts";

const dir = tempDir();
const prepare = { box: [...FACE_BOXES.face100] as [number, number, number, number], size: 64 };

/** Pearson correlation of two crops. */
function correlation(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

let detector: FaceDetector | undefined;
async function openDetector(): Promise<FaceDetector> {
  if (!detector) {
    await selectBackend("wasm", { log: () => {} });
    detector = await FaceDetector.open();
  }
  return detector;
}

Deno.test("a drawn face moved off-centre, zoomed, shrunk and rotated lands in the same aligned crop; the fixed box misses it", async () => {
  const options = { detector: await openDetector(), canonical: LFW_ORIGINAL_LANDMARKS.points };
  const reference = await readFace(
    await drawnFaces(join(dir, "lfw.png"), { width: 250, height: 250 }),
    prepare,
    options,
  );
  assert.equal(reference.how, "detected");
  assert.ok(reference.score! > 0.5);
  const cases = [
    { name: "offcentre", size: { width: 640, height: 480 }, face: { x: 180, y: 300 }, rotation: 0 },
    {
      name: "zoomed",
      size: { width: 500, height: 500 },
      face: { scale: 1.8, x: 260, y: 230 },
      rotation: 0,
    },
    {
      name: "small",
      size: { width: 400, height: 300 },
      face: { scale: 0.6, x: 250, y: 120 },
      rotation: 0,
    },
    { name: "rotated 15", size: { width: 300, height: 300 }, face: { rotation: 15 }, rotation: 15 },
    {
      name: "rotated -20",
      size: { width: 300, height: 300 },
      face: { rotation: -20 },
      rotation: -20,
    },
    {
      name: "portrait JPEG",
      size: { width: 360, height: 640 },
      face: { scale: 1.2, y: 260 },
      rotation: 0,
      jpegQuality: 60,
    },
  ];
  for (const c of cases) {
    const path = await drawnFaces(join(dir, `${c.name}.${c.jpegQuality ? "jpg" : "png"}`), c.size, [
      c.face,
    ], { jpegQuality: c.jpegQuality });
    const aligned = await readFace(path, prepare, options);
    const r = correlation(aligned.face, reference.face);
    assert.ok(
      r > 0.85,
      `${c.name}: the aligned crop correlates ${r.toFixed(3)} with the reference`,
    );
    assert.ok(
      Math.abs(aligned.region.rotation - c.rotation) < 4,
      `${c.name}: rotation ${aligned.region.rotation.toFixed(1)}, drawn ${c.rotation}`,
    );
    const scale = (c.face as { scale?: number }).scale ?? 1;
    assert.ok(
      Math.abs(aligned.region.width / reference.region.width - scale) < 0.1 * scale,
      `${c.name}: crop ${aligned.region.width.toFixed(1)} px, reference ${
        reference.region.width.toFixed(1)
      } x ${scale}`,
    );
    if (c.name === "offcentre" || c.name === "small") {
      // Without detection the model's box of the centred square misses the face.
      const fixed = await readFace(path, prepare);
      assert.equal(fixed.how, "fixed box");
      const f = correlation(fixed.face, reference.face);
      assert.ok(f < 0.5, `${c.name}: the fixed box correlates ${f.toFixed(3)}`);
    }
  }
});

Deno.test("photos without a face (blank, noise, a landscape) are refused; of several faces the largest is used and said, --face picks another", async () => {
  const options = { detector: await openDetector(), canonical: LFW_ORIGINAL_LANDMARKS.points };
  for (const [name, path] of Object.entries(await facelessImages(dir))) {
    await assert.rejects(
      () => readFace(path, prepare, options),
      (e: Error) =>
        e instanceof NoFaceError && new RegExp(`${name}\\.\\w+: no face found`).test(e.message) &&
        !e.message.includes("\n"),
      name,
    );
  }
  const two = await drawnFaces(join(dir, "two.png"), { width: 600, height: 300 }, [
    { x: 170, y: 150, scale: 0.9 },
    { x: 430, y: 150, scale: 0.6, skin: ["#e0b090", "#8a5a3a"], hair: "#111" },
  ]);
  const largest = await readFace(two, prepare, options);
  assert.equal(largest.faces, 2);
  assert.equal(largest.chosen, 1);
  assert.ok(largest.region.x < 300, `the largest face is the left one: ${largest.region.x}`);
  assert.match(largest.warnings.join("\n"), /2 faces found; using face 1 \(the largest\)/);
  const second = await readFace(two, prepare, { ...options, face: 2 });
  assert.ok(second.region.x > 300 && second.region.width < largest.region.width);
  await assert.rejects(
    () => readFace(two, prepare, { ...options, face: 3 }),
    /--face 3, but 2 face\(s\) found/,
  );
  // A face whose crop is smaller in the photo than the model's input: a warning.
  const tiny = await drawnFaces(join(dir, "tiny.png"), { width: 400, height: 400 }, [{
    scale: 0.35,
    x: 120,
    y: 140,
  }]);
  const small = await readFace(tiny, prepare, { ...options, inputSize: 64 });
  assert.match(small.warnings.join("\n"), /the face is small: its crop is [\d.]+ px across/);
});

// The command line, with a tiny model trained here on generated faces.
const images = tempDir();
writePgmFolder(images, { people: 24, perPerson: 8 });
const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
let trained = false;

async function compare(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!trained) {
    await trainExperiment(store, tinyTrainOptions(images, "tiny", "seed"));
    trained = true;
  }
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      fileURLToPath(new URL("../../tasks/compare.ts", import.meta.url)),
      "tiny",
      ...args,
      "--backend",
      "wasm",
    ],
    env: { FACE_COMPARER_ARTIFACTS: store.root, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: run.code,
    stdout: new TextDecoder().decode(run.stdout),
    stderr: new TextDecoder().decode(run.stderr),
  };
}

Deno.test("compare A B: each photo's region and score, then the verdict; a photo without a face is one line of error and no verdict", async () => {
  const face = await drawnFaces(join(dir, "cli_face.png"), { width: 250, height: 250 });
  const moved = await drawnFaces(join(dir, "cli_moved.jpg"), { width: 640, height: 480 }, [{
    x: 420,
    y: 200,
    scale: 1.3,
    rotation: 10,
  }], { jpegQuality: 80 });
  const { blank } = await facelessImages(dir);
  const crops = join(dir, "crops");
  const ok = await compare(face, moved, "--save-crops", crops);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.trim().split("\n");
  assert.match(
    lines[0],
    /^a: .*cli_face\.png: face 1 of 1, detector score 0\.\d{3}; aligned crop [\d.]+x[\d.]+ px centred at [\d.]+,[\d.]+, rotated -?[\d.]+°$/,
  );
  assert.match(
    lines[1],
    /^b: .*cli_moved\.jpg: face 1 of 1, detector score 0\.\d{3}; aligned crop .* rotated (9|10|11)(\.\d)?°$/,
  );
  assert.match(
    lines[2],
    /^(same person|different people): probability [\d.]+( \(calibrated\))?, threshold [\d.]+/,
  );
  const written = [...Deno.readDirSync(crops)].map((e) => e.name).sort();
  assert.deepEqual(written, ["a_cli_face.png", "b_cli_moved.png"]);
  const meta = await sharp(join(crops, "a_cli_face.png")).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [64, 64, 1]);

  const refused = await compare(face, blank);
  assert.equal(refused.code, 1);
  assert.doesNotMatch(refused.stdout, /same person|different people|probability/);
  // (The tiny model may also be warned about as near chance: that line is not an error.)
  assert.deepEqual(
    refused.stderr.trim().split("\n").filter((l) => !/warning: experiment "tiny"/.test(l)),
    [`compare: error: ${blank}: no face found (detector score below 0.5); not compared`],
  );
  // --no-detect keeps the fixed box: the blank image is then read (today's LFW behaviour).
  const fixed = await compare(face, blank, "--no-detect");
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(
    fixed.stdout,
    /^b: .*blank\.png: the model's box scaled to the photo's centred square \(no detection\): 79\.7x79\.7 px centred at 159\.5,128\.2$/m,
  );
});

Deno.test("compare --pairs: a pair with a faceless photo fails with its line and reason, the rest are scored with their regions", async () => {
  const face = await drawnFaces(join(dir, "list_face.png"), { width: 250, height: 250 });
  const moved = await drawnFaces(join(dir, "list_moved.png"), { width: 500, height: 400 }, [{
    x: 150,
    y: 250,
    rotation: -12,
  }]);
  const { blank, noise, landscape } = await facelessImages(dir);
  const pgm = (p: number, n: number) =>
    join(images, "faces", `Pgm_Person${p}_${String(n).padStart(4, "0")}.pgm`);
  const list = join(dir, "pairs.tsv");
  Deno.writeTextFileSync(
    list,
    [
      `${face}\t${moved}\t1`,
      `${face}\t${blank}\t0`,
      `${noise}\t${landscape}\t0`,
      `${pgm(0, 1)}\t${pgm(0, 2)}\t1`,
    ].join("\n") + "\n",
  );
  const run = await compare("--pairs", list, "--format", "json");
  assert.equal(run.code, 1, run.stderr);
  const output = JSON.parse(run.stdout);
  assert.match(output.faces, /detected by @vladmandic\/face-api@1\.7\.15 SSD MobileNet v1/);
  const [one, two, three, four] = output.results;
  assert.ok(one.probability !== null && one.error === null);
  assert.ok(one.a_score > 0.5 && one.b_score > 0.5);
  assert.match(one.b_region, /^[\d.]+,[\d.]+,[\d.]+,[\d.]+,-1[0-4](\.\d)?$/);
  assert.equal(two.probability, null);
  assert.equal(two.same_person, null);
  assert.match(two.error, /pairs\.tsv:2: .*blank\.png: no face found/);
  assert.ok(two.a_score > 0.5, "the readable photo of a failed pair is still reported");
  assert.equal(three.probability, null);
  assert.match(three.error, /noise\.png: no face found.*; .*landscape\.jpg: no face found/);
  assert.ok(four.probability !== null && four.a_score === null, "PGM faces are read whole");
  assert.equal(output.summary.pairs, 2);
  assert.match(run.stderr, /2 of 4 pair\(s\) could not be compared \(lines 2, 3\)/);
  // TSV: the same fields.
  const tsv = await compare("--pairs", list);
  const header = tsv.stdout.split("\n")[1].split("\t");
  assert.deepEqual(header, Object.keys(one));
});
