/**
 * The whole pipeline (prepare, split, train, test, compare, export) on faces the test makes
 * itself, so that the basic tier (`deno task check`, no LFW copy) trains and evaluates for real.
 * The LFW versions of these checks are in `train_stage_test.ts` (full tier).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ExperimentIndex } from "../../lib/pipeline/experiments.ts";
import { getModel } from "../../lib/model/registry.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { trainExperiment, type TrainOptions } from "../../lib/pipeline/train_stage.ts";
import { preparedBox, preparedSize } from "../../lib/pipeline/train_options.ts";
import { testExperiment, type TestMetrics } from "../../lib/pipeline/test_stage.ts";
import { loadCheckpoint } from "../../lib/train/checkpoint.ts";
import { ourFitPhases } from "../../lib/bench/fisher_peer.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { exportExperiment } from "../../lib/compare/export_experiment.ts";
import { readFaceImage } from "../../lib/compare/face_image.ts";
import { loadExportedModel } from "../../lib/compare/export_layers_model.ts";
import { openTrainedExperiment } from "../../lib/pipeline/trained_experiment.ts";
import { loadPairSets } from "../../lib/pipeline/split_files.ts";
import { loadFaceArray, resizeFaceArray } from "../../lib/data/face_array.ts";
import {
  reusableValidation,
  scorePairs,
  TEST_SCORING,
} from "../../lib/evaluate/validation_scores.ts";
import { pairColumns } from "../../lib/train/pair_batches.ts";
import { resampleRect } from "../../lib/data/resample.ts";
import {
  noiseImage,
  rekeyArtifact,
  tempDir,
  tinyTrainOptions,
  writePgmFolder,
} from "../helpers/fixtures.ts";
import { runChromium } from "../helpers/chromium.ts";
import { needs } from "../helpers/tiers.ts";
import { fileURLToPath, pathToFileURL } from "node:url";
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";

const images = tempDir();
// 24 people x 8 faces of noise around a per-person brightness: learnable, and made here.
writePgmFolder(images, { people: 24, perPerson: 8 });
const lines: string[] = [];
const store = new ArtifactStore(tempDir(), {
  log: (l) => lines.push(l),
  warn: (l) => lines.push(l),
});

function options(name: string, model: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  const tiny = tinyTrainOptions(images, name, model);
  return {
    ...tiny,
    params: { ...tiny.params, epochs: 2, seed: 7 },
    log: (l) => lines.push(l),
    ...extra,
  };
}

/**
 * {@linkcode options} for a one-pass fit (1 epoch) on the faces in `folder` (a descriptor's 100
 * LDA directions need more than 100 training images: a larger synthetic set), with `params`.
 */
function fitOptions(
  folder: string,
  name: string,
  model: string,
  params: Partial<TrainOptions["params"]> = {},
  extra: Partial<TrainOptions> = {},
): TrainOptions {
  const base = options(name, model, extra);
  return {
    ...base,
    split: {
      ...base.split,
      prepare: { ...base.split.prepare, images: folder },
      params: { ...base.split.params, trainPairs: 200 },
    },
    params: { ...base.params, epochs: 1, ...params },
  };
}

/**
 * preprocessing.json's steps, implemented here from its description alone: the largest centred
 * square, the box scaled to it, a separable triangle filter of support max(1, reduction) with
 * coverage-weighted edge pixels, luma, then the same filter to the input size, / scale.
 */
function independentInput(
  image: { width: number; height: number; channels: number; pixels: Uint8Array },
  pre: {
    frame: number;
    box: number[];
    faceSize: number;
    inputSize: number;
    luma: number[];
    scale: number;
  },
): Float32Array {
  const side = Math.min(image.width, image.height), s = side / pre.frame;
  const ox = (image.width - side) / 2, oy = (image.height - side) / 2;
  const [l, t, r, b] = pre.box;
  const weights = (from: number, length: number, out: number, limit: number) =>
    Array.from({ length: out }, (_, o) => {
      const scale = length / out, support = Math.max(1, scale);
      const centre = from + (o + 0.5) * scale;
      const taps: [number, number][] = [];
      for (
        let i = Math.max(0, Math.floor(centre - support));
        i < Math.min(limit, Math.ceil(centre + support));
        i++
      ) {
        const w = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
        if (w > 0) taps.push([i, w]);
      }
      const total = taps.reduce((sum, [, w]) => sum + w, 0);
      return taps.map(([i, w]) => [i, w / total] as [number, number]);
    });
  const resample = (
    value: (x: number, y: number) => number,
    size: { width: number; height: number },
    box: { left: number; top: number; width: number; height: number },
    out: number,
  ) => {
    const xs = weights(box.left, box.width, out, size.width);
    const ys = weights(box.top, box.height, out, size.height);
    return Array.from({ length: out * out }, (_, k) => {
      const oy = Math.floor(k / out), ox = k % out;
      let v = 0;
      for (const [y, wy] of ys[oy]) for (const [x, wx] of xs[ox]) v += wy * wx * value(x, y);
      return v;
    });
  };
  const c = image.channels;
  const luma = (x: number, y: number) => {
    const p = (y * image.width + x) * c;
    return c === 1
      ? image.pixels[p]
      : pre.luma[0] * image.pixels[p] + pre.luma[1] * image.pixels[p + 1] +
        pre.luma[2] * image.pixels[p + 2];
  };
  const face = resample(luma, image, {
    left: ox + l * s,
    top: oy + t * s,
    width: (r - l) * s,
    height: (b - t) * s,
  }, pre.faceSize).map((v) => Math.min(255, Math.max(0, Math.round(v))));
  const input = pre.inputSize === pre.faceSize ? face : resample(
    (x, y) => face[y * pre.faceSize + x],
    { width: pre.faceSize, height: pre.faceSize },
    { left: 0, top: 0, width: pre.faceSize, height: pre.faceSize },
    pre.inputSize,
  ).map((v) => Math.min(255, Math.max(0, Math.round(v))));
  return Float32Array.from(input, (v) => v / pre.scale);
}

for (const model of ["seed", "seed_cosface"]) {
  Deno.test(`synthetic faces, ${model}: an interrupted and resumed run equals an uninterrupted one; test, compare and export use it`, async () => {
    const paused = await trainExperiment(
      store,
      options(`${model}_resumed`, model, { timeBudgetSeconds: 1e-6 }),
    );
    assert.equal(paused.epochsDone, 1);
    assert.equal(paused.artifact, undefined);
    const resumed = await trainExperiment(store, options(`${model}_resumed`, model));
    // Read before --force trains the same key again from scratch, into the same folder.
    const one = (await loadCheckpoint(join(resumed.artifact!.dir, "checkpoint.bin")))!;
    const straight = await trainExperiment(
      store,
      options(`${model}_straight`, model, { force: true }),
    );
    assert.equal(straight.artifact!.key, resumed.artifact!.key);
    const two = (await loadCheckpoint(join(straight.artifact!.dir, "checkpoint.bin")))!;
    assert.equal(one.epoch, 2);
    for (const [name, values] of one.weights) assert.deepEqual(two.weights.get(name), values, name);

    const tested = await testExperiment(store, {
      name: `${model}_straight`,
      params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 16, galleryPairs: 0, flip: true },
      backend: "wasm",
      log: (l) => lines.push(l),
    });
    const metrics: TestMetrics = JSON.parse(
      Deno.readTextFileSync(join(tested.dir, "metrics.json")),
    );
    assert.deepEqual(Object.keys(metrics.sets).sort(), ["test", "train", "val"]);
    assert.equal(metrics.sets.test.pairs, 16);
    assert.ok(metrics.sets.test.auc >= 0 && metrics.sets.test.auc <= 1);

    await usableEverywhere(`${model}_straight`);
  });
}

/**
 * compare scores a pair of prepared-size faces symmetrically; export writes a model that a
 * third party scores like the project, from the exported files alone.
 */
/** `test NAME` as the tests run it: no TTA, 16 training pairs, no galleries, mirror averaging. */
async function quickTest(name: string): Promise<void> {
  await testExperiment(store, {
    name,
    params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 16, galleryPairs: 0, flip: true },
    backend: "wasm",
    log: (l) => lines.push(l),
  });
}

async function usableEverywhere(name: string): Promise<void> {
  // compare scores a pair of prepared-size faces symmetrically; export writes a model.
  const comparer = await FaceComparer.open(store, name, { backend: "wasm" });
  const face = (file: string) => readFaceImage(join(images, "faces", file), comparer.prepare);
  const a = await face("Pgm_Person0_0001.pgm"), b = await face("Pgm_Person1_0001.pgm");
  const [ab, ba] = await comparer.compare([[a, b], [b, a]]);
  assert.ok(ab > 0 && ab < 1 && Math.abs(ab - ba) < 1e-6, `${ab} vs ${ba}`);
  comparer.dispose();
  const out = join(tempDir(), "export");
  await exportExperiment(store, name, { outDir: out, backend: "wasm" });
  assert.ok(Deno.statSync(join(out, "model.json")).isFile);

  // A third party with only the exported files (model.json, weights.bin, preprocessing.json,
  // face_comparer.js) and its own image decoding gets the project's probability.
  const photos = await Promise.all([3, 4].map(async (seed) => {
    const path = join(tempDir(), `photo${seed}.png`);
    await sharp(noiseImage(250, 250, 3, seed), { raw: { width: 250, height: 250, channels: 3 } })
      .png().toFile(path);
    return path;
  }));
  const project = await FaceComparer.open(store, name, {
    backend: "wasm",
    flip: false,
  });
  const [expected] = await project.compare([
    [
      await readFaceImage(photos[0], project.prepare),
      await readFaceImage(photos[1], project.prepare),
    ],
  ]);
  project.dispose();
  const module = await import(pathToFileURL(join(out, "face_comparer.js")).href);
  const files = JSON.parse(Deno.readTextFileSync(join(out, "model.json")));
  const weights = Deno.readFileSync(join(out, "weights.bin"));
  const third = await module.loadComparer(
    tf,
    tf.io.fromMemory({
      modelTopology: files.modelTopology,
      weightSpecs: files.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
    }),
  );
  const decoded = await Promise.all(photos.map(async (path) => {
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      channels: info.channels,
      pixels: new Uint8Array(data),
    };
  }));
  const theirs = third.probability(decoded[0], decoded[1]);
  assert.ok(Math.abs(theirs - expected) < 1e-3, `${theirs} vs ${expected}`);
  const pre = JSON.parse(Deno.readTextFileSync(join(out, "preprocessing.json")));
  assert.equal(third.threshold, pre.threshold);
  // And an independent implementation, written from preprocessing.json's numbers and words
  // only (the model run through the module's model, which is plain tfjs plus the layers).
  const independent = decoded.map((image) => independentInput(image, pre));
  const fromScratch = tf.tidy(() =>
    (third.model.predict(
      independent.map((x) => tf.tensor4d(x, [1, pre.inputSize, pre.inputSize, 1])),
    ) as tf.Tensor).dataSync()[0]
  );
  assert.ok(Math.abs(fromScratch - expected) < 1e-3, `${fromScratch} vs ${expected}`);
}

Deno.test("synthetic faces, lbp_lda: fitted in one pass, reproducibly; test, compare and export use it", async () => {
  // Its 100 LDA directions need more than 100 training images: a larger synthetic set.
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  const lbp = (name: string, extra: Partial<TrainOptions> = {}) =>
    fitOptions(many, name, "lbp_lda", {}, extra);
  const fitted = await trainExperiment(store, lbp("lbp_fitted"));
  assert.equal(fitted.epochsDone, 1);
  const again = await trainExperiment(store, lbp("lbp_again", { force: true }));
  assert.equal(again.artifact!.key, fitted.artifact!.key);
  const one = (await loadCheckpoint(join(fitted.artifact!.dir, "checkpoint.bin")))!;
  assert.equal(one.epoch, 1);
  assert.ok(
    [...one.weights.values()].every((w) => w.some((v) => v !== 0)),
    "the fit fills the projection",
  );
  assert.ok(lines.some((l) => /describe: 5782 descriptor values for each of \d+ images/.test(l)));
  const tested = await testExperiment(store, {
    name: "lbp_fitted",
    params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 16, galleryPairs: 0, flip: true },
    backend: "wasm",
    log: (l) => lines.push(l),
  });
  const metrics: TestMetrics = JSON.parse(Deno.readTextFileSync(join(tested.dir, "metrics.json")));
  assert.equal(metrics.sets.test.pairs, 16);
  // The validation pairs' scores are those the fit stored, which are the model's scores.
  assert.ok(lines.some((l) => /^test: val: \d+ pairs: the scores the fit stored/.test(l)));
  const opened = await openTrainedExperiment(store, "lbp_fitted");
  const weights = await opened.loadWeights();
  const val = pairColumns((await loadPairSets(opened.split.dir)).val);
  const fresh = await scorePairs(weights, {
    faces: resizeFaceArray(await loadFaceArray(opened.prepared.dir), opened.model.inputSize),
    size: opened.model.inputSize,
    pairs: val,
    seed: opened.params.seed,
  });
  weights.dispose();
  const stored = reusableValidation(await opened.loadMeta(), val, TEST_SCORING)!;
  assert.ok(stored.every((p, i) => Math.abs(p - fresh.probabilities[i]) < 1e-6));
  await usableEverywhere("lbp_fitted");

  // An ensemble of it and a CNN trained on the same faces and split.
  const cnn = lbp("cnn_many");
  await trainExperiment(store, {
    ...cnn,
    params: { ...cnn.params, model: "seed64_cosface", epochs: 2 },
  });
  const ensemble = (name: string, members: string[], models: string[]): TrainOptions => {
    const base = lbp(name);
    return {
      ...base,
      params: {
        ...base.params,
        model: models.join("+"),
        members,
        objective: { kind: "ensemble" },
      },
    };
  };
  lines.length = 0;
  const fused = await trainExperiment(
    store,
    ensemble("fused", ["cnn_many", "lbp_fitted"], ["seed64_cosface", "lbp_lda"]),
  );
  assert.equal(fused.epochsDone, 1);
  assert.ok(
    lines.some((l) =>
      /ensemble weights chosen on 16 validation pairs: cnn_many \d\.\d\d, lbp_fitted \d\.\d\d/.test(
        l,
      )
    ),
    lines.join("\n"),
  );
  // The members' trained parameters are its inputs.
  const inputs = fused.artifact!.manifest.inputs;
  assert.equal(inputs.member2, fitted.artifact!.key);
  // Its training time, for budgets, includes its members'.
  const members = (fused.artifact!.manifest.info as { membersTrainingSeconds: number })
    .membersTrainingSeconds;
  const seconds = (o: { artifact?: { manifest: { info: unknown } } }) =>
    (o.artifact!.manifest.info as { trainingSeconds: number }).trainingSeconds;
  const cnnRun = await trainExperiment(store, {
    ...cnn,
    params: { ...cnn.params, model: "seed64_cosface", epochs: 2 },
  });
  const lbpNow = { artifact: await store.load("train", fitted.artifact!.key) };
  assert.ok(Math.abs(members - seconds(lbpNow) - seconds(cnnRun)) < 1e-6, `${members}`);
  const fusedTest = await testExperiment(store, {
    name: "fused",
    params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 16, galleryPairs: 0, flip: true },
    backend: "wasm",
    log: (l) => lines.push(l),
  });
  assert.ok(Deno.statSync(join(fusedTest.dir, "metrics.json")).isFile);
  await usableEverywhere("fused");
  // Members that did not finish, or trained on other data, are refused before any work.
  await trainExperiment(store, {
    ...cnn,
    name: "cnn_paused",
    params: { ...cnn.params, model: "seed64_cosface", epochs: 3 },
    timeBudgetSeconds: 1e-6,
  });
  await assert.rejects(
    () =>
      trainExperiment(
        store,
        ensemble("fused2", ["lbp_fitted", "cnn_paused"], ["lbp_lda", "seed64_cosface"]),
      ),
    /--members cnn_paused: that experiment has not finished training/,
  );
  await trainExperiment(
    store,
    options("cnn_other", "seed64_cosface", {
      params: { ...cnn.params, model: "seed64_cosface", epochs: 1 },
    }),
  );
  await assert.rejects(
    () =>
      trainExperiment(
        store,
        ensemble("fused3", ["lbp_fitted", "cnn_other"], ["lbp_lda", "seed64_cosface"]),
      ),
    /--members cnn_other: it was trained on other prepared faces or another split than lbp_fitted/,
  );
  // From the command line: no data options (the members' are used and recorded).
  const cli = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        fileURLToPath(new URL("../../tasks/train.ts", import.meta.url)),
        ...args,
      ],
      env: { FACE_COMPARER_ARTIFACTS: store.root, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const refused = await cli([
    "fused_cli",
    "--members",
    "cnn_many,lbp_fitted",
    "--box",
    "62,52,188,202",
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    new TextDecoder().decode(refused.stderr),
    /--members and --box: an ensemble uses its members' prepared faces and split/,
  );
  const made = await cli(["fused_cli", "--members", "cnn_many,lbp_fitted"]);
  assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
  const cliRecord = await new ExperimentIndex(store.root).requireSingle("fused_cli");
  const cliInputs = (await store.load("train", cliRecord.keys.train))!.manifest.inputs;
  assert.deepEqual([cliInputs.member1, cliInputs.member2], [inputs.member1, inputs.member2]);
  assert.equal(
    cliRecord.keys.split,
    (await new ExperimentIndex(store.root).requireSingle("cnn_many")).keys.split,
  );
  assert.equal(cliRecord.options.images, many);
  // Faces and split made by other code but equal in content qualify (as if the data code changed).
  const index = new ExperimentIndex(store.root);
  const record = await index.requireSingle("lbp_fitted");
  const copy = "f".repeat(64);
  await rekeyArtifact(store, "split", record.keys.split, copy);
  await index.put({ ...record, name: "lbp_copy", keys: { ...record.keys, split: copy } });
  const again2 = await trainExperiment(
    store,
    ensemble("fused4", ["cnn_many", "lbp_copy"], ["seed64_cosface", "lbp_lda"]),
  );
  assert.ok(again2.artifact);
  // fused_cli as if the code fusing it had changed since (its key is not today's): refused,
  // saying the ways on; --keep-finished goes on with it as it is.
  const fusedCli = await index.requireSingle("fused_cli");
  const earlier = "e".repeat(64);
  await rekeyArtifact(store, "train", fusedCli.keys.train, earlier, { move: true });
  await index.put({ ...fusedCli, keys: { ...fusedCli.keys, train: earlier } });
  const stale = await cli(["fused_cli", "--members", "cnn_many,lbp_fitted"]);
  assert.equal(stale.code, 1);
  assert.match(
    new TextDecoder().decode(stale.stderr),
    /^train: error: experiment "fused_cli" was trained by other code .* --keep-finished to keep it as it is \(when its prepared faces and split still hold/,
  );
  const kept = await cli(["fused_cli", "--members", "cnn_many,lbp_fitted", "--keep-finished"]);
  assert.equal(kept.code, 0, new TextDecoder().decode(kept.stderr));
  assert.match(
    new TextDecoder().decode(kept.stdout),
    /"fused_cli" was trained by earlier code \(eeeeeeeeeeee\); kept as it is/,
  );
  assert.equal((await index.requireSingle("fused_cli")).keys.train, earlier);
});

Deno.test("synthetic faces, lbp_jb: its Joint Bayesian head is fitted with the projection; test, compare and export use it", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  const fitted = await trainExperiment(store, fitOptions(many, "jb_fitted", "lbp_jb"));
  assert.equal(fitted.epochsDone, 1);
  const one = (await loadCheckpoint(join(fitted.artifact!.dir, "checkpoint.bin")))!;
  for (const name of ["lbp/jb_a", "lbp/jb_g", "lbp/jb_bias", "lbp/projection"]) {
    assert.ok(one.weights.get(name)!.some((v) => v !== 0), `the fit fills ${name}`);
  }
  // 64x64 and 32x32: (2 x 49 + 2 x 9) cells of 59 bins.
  assert.ok(lines.some((l) => /describe: 6844 descriptor values for each of \d+ images/.test(l)));
  assert.ok(lines.some((l) => /joint-bayesian: fitted on the \d+-value LDA projections/.test(l)));
  await quickTest("jb_fitted");
  await usableEverywhere("jb_fitted");
  // A projection of the embeddings would feed its head vectors it was not fitted on: refused.
  await assert.rejects(
    () =>
      testExperiment(store, {
        name: "jb_fitted",
        params: {
          ...TEST_DEFAULTS,
          tta: 0,
          trainEvalPairs: 16,
          galleryPairs: 0,
          projection: "wccn",
        },
        backend: "wasm",
        log: () => {},
      }),
    /--projection wccn: model lbp_jb scores pairs with a head fitted on the embeddings as they are/,
  );
});

Deno.test("synthetic faces, gabor_jb: fitted like lbp_jb; fused with it (--members), test, compare and export use both", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  const fit = (name: string, model: string, params: Partial<TrainOptions["params"]> = {}) =>
    fitOptions(many, name, model, params);
  lines.length = 0;
  const fitted = await trainExperiment(store, fit("gabor_fitted", "gabor_jb"));
  assert.equal(fitted.epochsDone, 1);
  const one = (await loadCheckpoint(join(fitted.artifact!.dir, "checkpoint.bin")))!;
  for (const name of ["gabor/jb_a", "gabor/jb_g", "gabor/jb_bias", "gabor/projection"]) {
    assert.ok(one.weights.get(name)!.some((v) => v !== 0), `the fit fills ${name}`);
  }
  // 5 x 8 wavelets, 16 x 16 samples each.
  assert.ok(lines.some((l) => /describe: 10240 descriptor values for each of \d+ images/.test(l)));
  await quickTest("gabor_fitted");
  await usableEverywhere("gabor_fitted");
  // The two descriptor models fused: both custom descriptor layers in one export.
  await trainExperiment(store, fit("lbp_gabor_fitted", "lbp_jb"));
  lines.length = 0;
  const fused = await trainExperiment(
    store,
    fit("descriptors_fused", "lbp_jb+gabor_jb", {
      members: ["lbp_gabor_fitted", "gabor_fitted"],
      objective: { kind: "ensemble" },
    }),
  );
  assert.equal(fused.epochsDone, 1);
  assert.ok(
    lines.some((l) => /ensemble weights chosen on \d+ validation pairs: lbp_gabor_fitted/.test(l)),
  );
  await quickTest("descriptors_fused");
  await usableEverywhere("descriptors_fused");
});

Deno.test("synthetic faces, fisher_jb: its Fisher vector encoder is fitted before the projection and head; test, compare and export use it", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  lines.length = 0;
  const fitted = await trainExperiment(store, fitOptions(many, "fisher_fitted", "fisher_jb"));
  assert.equal(fitted.epochsDone, 1);
  const one = (await loadCheckpoint(join(fitted.artifact!.dir, "checkpoint.bin")))!;
  for (
    const name of ["fisher/means", "fisher/sift_basis", "fisher/jb_a", "fisher/projection"]
  ) {
    assert.ok(one.weights.get(name)!.some((v) => v !== 0), `the fit fills ${name}`);
  }
  const weights = one.weights.get("fisher/weights")!;
  const total = weights.reduce((s, w) => s + w, 0);
  assert.ok(Math.abs(total - 1) < 1e-4, `mixing weights sum to ${total}`);
  assert.ok(one.weights.get("fisher/variances")!.every((v) => v > 0));
  assert.ok(lines.some((l) => /encoder: .* fitted on \d+ training faces/.test(l)));
  // 256 Gaussians x 2 x (64 PCA values + x and y).
  assert.ok(lines.some((l) => /describe: 33792 descriptor values for each of \d+ images/.test(l)));
  // Each step of the fit is timed and kept in the checkpoint (bench --fisher-peer reads them).
  const phases = await ourFitPhases(fitted.artifact!.dir);
  assert.deepEqual(Object.keys(phases).sort(), [
    "describe",
    "encoder",
    "joint-bayesian",
    "lda",
    "pca",
    "validation",
  ]);
  assert.ok(Object.values(phases).every((v) => v! >= 0));
  await quickTest("fisher_fitted");
  await usableEverywhere("fisher_fitted");
});

Deno.test(
  "compare page of an export of fused LBP and Gabor models: its custom layers load in headless Chromium and it compares two photos",
  {
    ignore: needs("chromium"),
  },
  async () => {
    const outDir = tempDir();
    await exportExperiment(store, "descriptors_fused", { outDir, backend: "wasm" });
    for (const [file, seed] of [["a.jpg", 1], ["b.jpg", 2]] as const) {
      await sharp(noiseImage(250, 250, 3, seed), { raw: { width: 250, height: 250, channels: 3 } })
        .jpeg()
        .toFile(join(outDir, file));
    }
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
      const file = join(outDir, decodeURIComponent(new URL(r.url).pathname));
      try {
        return new Response(await Deno.readFile(file), {
          headers: { "content-type": file.endsWith(".html") ? "text/html" : "image/jpeg" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    try {
      const url = `http://127.0.0.1:${server.addr.port}/compare.html?a=/a.jpg&b=/b.jpg&detect=0`; // noise photos: the fixed box
      const dom = (await runChromium(url, ["--virtual-time-budget=60000", "--dump-dom"])).stdout;
      const result = /<div id="result" data-state="(\w+)"[^>]*>([^<]*)/.exec(dom);
      assert.ok(result, `no result in the page: ${dom.slice(-300)}`);
      assert.equal(result[1], "done", result[2]);
      const p = Number(/data-probability="([\d.e-]+)"/.exec(dom)?.[1]);
      assert.ok(p >= 0 && p <= 1, `probability ${p}`);
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test("compare --pairs: labelled list scored with a summary; a bad line and a missing image are listed, exit 1", async () => {
  await trainExperiment(store, options("seed_straight", "seed"));
  const dir = tempDir();
  const face = (p: number, n: number) =>
    join(images, "faces", `Pgm_Person${p}_${String(n).padStart(4, "0")}.pgm`);
  const list = join(dir, "pairs.tsv");
  Deno.writeTextFileSync(
    list,
    [
      `${face(0, 1)}\t${face(0, 2)}\t1`,
      `${face(0, 1)}\t${face(1, 1)}\t0`,
      "just-one-path.pgm",
      `${face(2, 1)}\tmissing.pgm\t1`,
      `${face(3, 1)}\t${face(3, 2)}\tsame`,
    ].join("\n") + "\n",
  );
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      fileURLToPath(new URL("../../tasks/compare.ts", import.meta.url)),
      "seed_straight",
      "--pairs",
      list,
      "--format",
      "json",
      "--threshold",
      "0.5",
    ],
    env: { FACE_COMPARER_ARTIFACTS: store.root, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 1, stderr);
  const output = JSON.parse(new TextDecoder().decode(run.stdout));
  assert.equal(output.threshold, 0.5);
  assert.equal(output.threshold_source, "--threshold");
  assert.deepEqual(output.results.map((r: { line: number }) => r.line), [1, 2, 3, 4, 5]);
  assert.deepEqual(
    output.results.map((r: { error: string | null }) => r.error === null),
    [true, true, false, false, true],
  );
  assert.match(output.results[3].error, /pairs\.tsv:4: image not found: .*missing\.pgm/);
  assert.equal(output.summary.pairs, 3);
  assert.equal(output.summary.tp + output.summary.fp + output.summary.tn + output.summary.fn, 3);
  assert.match(stderr, /compare: 3 labelled pairs: accuracy [\d.]+% at threshold 0\.5000/);
  assert.match(stderr, /error: 2 of 5 pair\(s\) could not be compared \(lines 3, 4\)/);
});

Deno.test("Ctrl-C during training says after which epoch it stopped and how to resume", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      fileURLToPath(new URL("../../tasks/train.ts", import.meta.url)),
      "interrupted",
      "--images",
      images,
      "--train-pairs",
      "48",
      "--val-pairs",
      "16",
      "--test-pairs",
      "16",
      "--epochs",
      "500",
      "--batch-size",
      "16",
    ],
    env: { FACE_COMPARER_ARTIFACTS: store.root, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!/^epoch 2\/500:/m.test(stdout)) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  child.kill("SIGINT");
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const { code } = await child.status;
  const stderr = await new Response(child.stderr).text();
  assert.equal(code, 130, stderr);
  assert.match(
    stderr,
    /train: interrupted after epoch \d+ of 500 of "interrupted" \(the epoch under way is lost\); rerun the same command to resume from the last checkpoint/,
  );
});

Deno.test("test --projection wccn: scored after the learnt projection, which compare and export use; pair models are refused", async () => {
  await trainExperiment(store, options("seed_cosface_straight", "seed_cosface"));
  const tested = await testExperiment(store, {
    name: "seed_cosface_straight",
    params: { ...TEST_DEFAULTS, trainEvalPairs: 16, galleryPairs: 0, projection: "wccn" },
    backend: "wasm",
    log: (l) => lines.push(l),
  });
  const metrics: TestMetrics = JSON.parse(Deno.readTextFileSync(join(tested.dir, "metrics.json")));
  assert.equal(metrics.projection?.method, "wccn");
  assert.ok(metrics.projection!.images > 0 && metrics.projection!.people > 1);
  assert.ok(metrics.sets.test.auc >= 0 && metrics.sets.test.auc <= 1);
  const saved = JSON.parse(Deno.readTextFileSync(join(tested.dir, "projection.json")));
  assert.equal(saved.dim, 256);
  assert.equal(saved.matrix.length, 256 * 256);
  // compare scores through the same projection, with the test stage's threshold: a test pair
  // gets the probability the test stage gave it.
  const comparer = await FaceComparer.open(store, "seed_cosface_straight", { backend: "wasm" });
  assert.equal(comparer.thresholdSource, "validation set (test stage, after its WCCN projection)");
  assert.equal(comparer.threshold, metrics.threshold);
  const trained = await openTrainedExperiment(store, "seed_cosface_straight");
  const faces = await loadFaceArray(trained.prepared.dir);
  const pair = (await loadPairSets(trained.split.dir)).test[0];
  const area = faces.size * faces.size;
  const face = (i: number) => faces.pixels.slice(i * area, (i + 1) * area);
  const [score] = await comparer.compare([[face(pair.a), face(pair.b)]]);
  const predictions = JSON.parse(Deno.readTextFileSync(join(tested.dir, "predictions.json")));
  assert.ok(Math.abs(score - predictions.test[0]) < 1e-5, `${score} vs ${predictions.test[0]}`);
  comparer.dispose();
  // The export carries the projection: its layers model gives compare's probability.
  const out = join(tempDir(), "export");
  await exportExperiment(store, "seed_cosface_straight", { outDir: out, backend: "wasm" });
  const topology = Deno.readTextFileSync(join(out, "model.json"));
  assert.match(topology, /"L2Normalize"/);
  assert.match(topology, /"projection"/);
  const unflipped = await FaceComparer.open(store, "seed_cosface_straight", {
    backend: "wasm",
    flip: false,
  });
  const [expected] = await unflipped.compare([[face(pair.a), face(pair.b)]]);
  unflipped.dispose();
  const weights = Deno.readFileSync(join(out, "weights.bin"));
  const exported = await loadExportedModel({ "model.json": topology, "weights.bin": weights });
  const n = exported.inputs[0].shape[1]!;
  const input = (i: number) => {
    const small = resampleRect(
      { width: faces.size, height: faces.size, channels: 1, pixels: face(i) },
      { left: 0, top: 0, width: faces.size, height: faces.size },
      { size: n, grey: true },
    );
    return tf.tensor4d(Float32Array.from(small, (v) => v / 255), [1, n, n, 1]);
  };
  const theirs = (exported.predict([input(pair.a), input(pair.b)]) as tf.Tensor).dataSync()[0];
  assert.ok(Math.abs(theirs - expected) < 1e-4, `${theirs} vs ${expected}`);
  await trainExperiment(store, options("seed_straight", "seed"));
  await assert.rejects(
    () =>
      testExperiment(store, {
        name: "seed_straight",
        params: { ...TEST_DEFAULTS, projection: "wccn" },
        backend: "wasm",
        log: (l) => lines.push(l),
      }),
    /--projection wccn: model seed verifies pairs with a learnt head/,
  );
});

Deno.test("synthetic faces, a pair metric on the PCA alone (lda=0): fitted on pairs, scored as Joint Bayesian's form by test, compare and export", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  lines.length = 0;
  const model = getModel("lbp:scales=1/pca=40/lda=0/metric:rank=12,steps=300").name;
  assert.equal(model, "crop=75_84_175_184/lbp:scales=1/pca=40/lda=0/metric:rank=12,steps=300");
  const fitted = await trainExperiment(store, fitOptions(many, "metric_fitted", model));
  assert.equal(fitted.epochsDone, 1);
  assert.ok(!lines.some((l) => /train: lda:/.test(l)), "no LDA step");
  const fitLine = lines.find((l) =>
    /pair-metric: rank 12, 300 steps on pairs of the 40-value PCA/.test(l)
  );
  const [first, last] = /loss ([0-9.]+) -> ([0-9.]+)/.exec(fitLine ?? "")!.slice(1).map(Number);
  assert.ok(last < first, `the pairs' loss falls: ${fitLine}`);
  const one = (await loadCheckpoint(join(fitted.artifact!.dir, "checkpoint.bin")))!;
  const name = (suffix: string) => [...one.weights.keys()].find((k) => k.endsWith(suffix))!;
  assert.equal(
    one.weights.get(name("/projection"))!.length,
    5782 * 40,
    "the PCA is the projection",
  );
  // A = -W^T W, and the fit moved it from its start, -4 on the first 12 of the diagonal.
  const a = one.weights.get(name("/jb_a"))!;
  const start = (k: number) => (k % 41 === 0 && k / 41 < 12 ? -4 : 0);
  assert.ok(Array.from({ length: 40 }, (_, i) => a[i * 40 + i]).every((v) => v <= 0));
  assert.ok(a.some((v, k) => Math.abs(v - start(k)) > 1e-3), "A moved from its start");
  await quickTest("metric_fitted");
  await usableEverywhere("metric_fitted");
});

Deno.test("synthetic faces, Joint Bayesian refined by EM: the fit's line shows the log-likelihood rising; test scores it", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  lines.length = 0;
  const model = getModel("lbp:scales=1/pca=40/lda=10/jb:em=5").name;
  assert.equal(model, "crop=75_84_175_184/lbp:scales=1/pca=40/lda=10/jb:em=5");
  const fitted = await trainExperiment(store, fitOptions(many, "jb_em", model));
  assert.equal(fitted.epochsDone, 1);
  const fitLine = lines.find((l) =>
    /joint-bayesian: fitted on the 10-value LDA projections, 5 EM iterations/.test(l)
  );
  assert.ok(fitLine, `a joint-bayesian line with the EM: ${lines.join("\n")}`);
  const [first, last] = /log-likelihood a row (-?[0-9.]+) -> (-?[0-9.]+)/.exec(fitLine)!
    .slice(1).map(Number);
  assert.ok(last > first, `the log-likelihood rises: ${fitLine}`);
  await quickTest("jb_em");
});

Deno.test("synthetic faces, a composed pipeline: recorded written out, fitted, tested, compared and exported", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8 });
  const model = getModel("lbp:scales=1/mirror/pca=60/lda=20/cosine").name;
  assert.equal(model, "crop=75_84_175_184/lbp:scales=1/mirror/pca=60/lda=20/cosine");
  const fitted = await trainExperiment(store, fitOptions(many, "composed", model));
  assert.equal(fitted.epochsDone, 1);
  assert.ok(
    lines.some((l) =>
      /describe: 5782 descriptor values for each of \d+ images, each averaged with its mirror image's/
        .test(l)
    ),
  );
  const record = await new ExperimentIndex(store.root).requireSingle("composed");
  assert.equal((record.options.train as { model: string }).model, model);
  const one = (await loadCheckpoint(join(fitted.artifact!.dir, "checkpoint.bin")))!;
  const projection = [...one.weights.keys()].find((k) => k.endsWith("/projection"))!;
  assert.match(projection, /^p[0-9a-f]{10}\/projection$/);
  assert.equal(one.weights.get(projection)!.length, 5782 * 20);
  await testExperiment(store, {
    name: "composed",
    params: { ...TEST_DEFAULTS, tta: 0, trainEvalPairs: 0, galleryPairs: 0, flip: true },
    backend: "wasm",
    log: (l) => lines.push(l),
  });
  await usableEverywhere("composed");
});

Deno.test("synthetic faces, a network reading a crop of the frame: trained on the crops, fused with a descriptor pipeline of the same frame; test, compare and export use both", async () => {
  const many = tempDir();
  writePgmFolder(many, { people: 50, perPerson: 8, size: 250 });
  const network = getModel("frame=head_and_face/crop=face100/seed_cosface").name;
  const descriptor = getModel("frame=head_and_face/crop=head/lbp:scales=1/pca=60/lda=20/jb").name;
  // The faces `train` prepares for each model without --box and --size: both 1:1 from the frame.
  const framed = (
    name: string,
    model: string,
    params: Partial<TrainOptions["params"]> = {},
    extra: Partial<TrainOptions> = {},
  ) => {
    const base = fitOptions(many, name, model, params, extra);
    const noOptions = { values: {}, positionals: [] };
    const defaults = base.split.prepare.params;
    // An ensemble is fitted on its members' faces (`train --members` takes no data options).
    const reads = params.members ? network : model;
    const prepare = {
      ...defaults,
      box: preparedBox(noOptions, defaults.box, reads),
      size: preparedSize(noOptions, defaults.size, reads),
    };
    return {
      ...base,
      split: { ...base.split, prepare: { ...base.split.prepare, params: prepare } },
    } as TrainOptions;
  };
  assert.deepEqual(
    [framed("x", network).split.prepare.params, framed("x", descriptor).split.prepare.params]
      .map(({ box, size }) => ({ box, size })),
    [{ box: [48, 50, 202, 204], size: 154 }, { box: [48, 50, 202, 204], size: 154 }],
  );
  // On two threads, stopped after its first epoch and resumed, it is the model trained straight
  // through (the same key: --force trains that again from scratch).
  const paused = await trainExperiment(
    store,
    framed("framed_resumed", network, { epochs: 2 }, { timeBudgetSeconds: 1e-6, threads: 2 }),
  );
  assert.equal(paused.epochsDone, 1);
  assert.equal(paused.artifact, undefined);
  const resumed = await trainExperiment(
    store,
    framed("framed_resumed", network, { epochs: 2 }, { threads: 2 }),
  );
  const resumedWeights =
    (await loadCheckpoint(join(resumed.artifact!.dir, "checkpoint.bin")))!.weights;
  lines.length = 0;
  const trained = await trainExperiment(
    store,
    framed("framed_net", network, { epochs: 2 }, { force: true, threads: 2 }),
  );
  assert.equal(trained.epochsDone, 2);
  assert.ok(lines.includes("train: 2 training threads"), lines.join("\n"));
  assert.equal(trained.artifact!.key, resumed.artifact!.key);
  const checkpoint = (await loadCheckpoint(join(trained.artifact!.dir, "checkpoint.bin")))!;
  assert.equal(checkpoint.model, network);
  for (const [name, values] of checkpoint.weights) {
    assert.deepEqual(resumedWeights.get(name), values, name);
  }
  // The network's own parameters, trained: the same names as the network trained alone.
  assert.deepEqual(
    [...checkpoint.weights.keys()].filter((k) => !k.startsWith("cosface")).sort(),
    getModel("seed_cosface").params.map((p) => p.name).sort(),
  );
  await quickTest("framed_net");
  await trainExperiment(store, framed("framed_lbp", descriptor));
  lines.length = 0;
  const fused = await trainExperiment(
    store,
    framed("framed_fused", `${network}+${descriptor}`, {
      members: ["framed_net", "framed_lbp"],
      objective: { kind: "ensemble" },
    }),
  );
  assert.equal(fused.epochsDone, 1);
  assert.ok(
    lines.some((l) => /ensemble weights chosen on \d+ validation pairs: framed_net/.test(l)),
  );
  await quickTest("framed_fused");
  await usableEverywhere("framed_fused");
});
