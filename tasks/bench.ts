/**
 * `deno task bench`: speed figures (printed, and written as JSON), optionally beside the PyTorch
 * reference run on the same machine in the same minute.
 * @module
 */
import { dirname, join } from "node:path";
import {
  artifactsRoot,
  BENCH_DEFAULTS,
  defaultImagesDir,
  defaultTrainingThreads,
  lfwDataRoot,
  PREPARE_DEFAULTS,
} from "../lib/config/defaults.ts";
import { selectBackend } from "../lib/backend/select_backend.ts";
import {
  benchmarkAugmentation,
  benchmarkCompare,
  benchmarkForward,
  benchmarkPrepare,
  TrainingBenchmark,
  watchPeakMemory,
} from "../lib/bench/speed_benchmarks.ts";
import { measureAgainstReference, median } from "../lib/bench/reference_rounds.ts";
import { runPillowReference } from "../lib/bench/pillow_reference.ts";
import { jpegDecoderName } from "../lib/data/face_preprocessing.ts";
import { runTorchReference } from "../lib/bench/torch_reference.ts";
import { type BackendTrainingRun, measureBackendTraining } from "../lib/bench/backend_training.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../lib/backend/select_backend.ts";
import { detectImageSource } from "../lib/data/image_source.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import {
  intOption,
  parseTaskArgs,
  pathOption,
  runTask,
  stringOption,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import {
  formatRobustness,
  ROBUSTNESS_TRANSFORMS,
  runRobustness,
  samplePairs,
  TRANSFORM_DESCRIPTIONS,
} from "../lib/bench/robustness.ts";
import { makeRobustnessRecord } from "../lib/bench/robustness_record.ts";
import {
  type FisherSide,
  formatFisherComparison,
  ourFitPhases,
  runFisherPeer,
} from "../lib/bench/fisher_peer.ts";
import { runProjectTask } from "../lib/pipeline/project_task.ts";
import { ExperimentIndex } from "../lib/pipeline/experiments.ts";
import { gitState } from "../lib/pipeline/code_fingerprint.ts";
import { machineFacts, readResultRecords, resultsDir } from "../lib/pipeline/result_record.ts";
import { FaceComparer } from "../lib/compare/face_comparer.ts";
import { FaceDetector } from "../lib/compare/face_detector.ts";
import { canonicalLandmarksFor } from "../lib/config/canonical_landmarks.ts";
import { defaultProtocolFiles, FACE_BOXES } from "../lib/config/defaults.ts";
import { faceId } from "../lib/data/face_file_name.ts";
import { parsePairsFile } from "../lib/data/lfw_protocol.ts";
import { Progress } from "../lib/util/progress.ts";
import { UserError } from "../lib/util/errors.ts";

const HELP = `Usage: deno task bench [options]
Measures speed and writes artifacts/bench/bench.json.
  --threads N        training threads (default: 2 on 2+ cores)
  --steps N          timed training steps of 128 pairs per round (default ${BENCH_DEFAULTS.steps}, as the reference)
  --rounds N         rounds of (our timed steps, one reference run); medians are compared
                     (default ${BENCH_DEFAULTS.rounds})
  --images DIR       images for the prepare figure (default: ${defaultImagesDir()})
  --prepare-images N images to prepare (default ${BENCH_DEFAULTS.prepareImages}; 0 skips)
  --reference FILE   the PyTorch peer script (default: ${
  join(lfwDataRoot(), "..", "peers", "torch_seed_model.py")
});
                     run with /usr/bin/python3 right after our figures when torch is installed
  --no-reference     skip the PyTorch and Pillow references
  --compare NAME     also time \`compare\` with experiment NAME: model loading (cold start) and
                     a second comparison of two photos in the same process
  --backend B        instead of the figures above: train the seed model on backend B
                     (${BACKEND_CHOICES.join(", ")}; e.g. webgpu on a GPU machine) and then on the
                     CPU path (wasm), --steps steps of --batch-size pairs each (default ${BENCH_DEFAULTS.backendSteps}
                     of 128), synthetic faces, each backend cut off after ${BENCH_DEFAULTS.backendTimeoutSeconds} s;
                     prints both warm figures and their ratio (artifacts/bench/backend_B.json)
  --batch-size N     pairs per step with --backend (default 128)
  --robustness NAME  instead of the figures above: View 1 test pairs compared as \`compare\` does
                     (detection, alignment, calibrated probability at NAME's threshold) after
                     each photo is re-framed (off-centre, zoomed, phone portrait, rotated 10 and
                     20 degrees, brightness/contrast, JPEG quality 30, face 80 px), accuracy per
                     transform beside the untransformed photos'; refused photos, and images
                     without a face (goal: no verdict) (artifacts/bench/robustness_NAME.json)
  --robustness-crops the same without a model: photos refused per transform and how well the
                     aligned crops agree with the training crop (artifacts/bench/robustness_crops.json)
  --fisher-peer      instead of the figures above: fit and test fisher100_512_jb on LFW View 1
                     (lfw-deepfunneled, the quick start's commands, in a store of its own: nothing
                     cached), then run its Python peer (../shared/peers/fisher_peer.py: OpenCV,
                     numpy, scikit-learn) on the same split in the same minutes; each phase's time
                     and both accuracies side by side (artifacts/bench/fisher_peer.json);
                     --reference FILE names another peer script, --threads N both sides' threads
  --pairs N          View 1 test pairs sampled for --robustness (default 200, balanced; 1000: all)
  --images DIR       with --robustness: the LFW photos (default: the experiment's images folder,
                     else ${defaultImagesDir()})
Training runs on the native kernels when they are built (deno task build-native);
FACE_COMPARER_NATIVE=off deno task bench measures the wasm kernels alone.`;

await runTask("bench", async () => {
  const args = parseTaskArgs(Deno.args, {
    threads: { type: "string" },
    steps: { type: "string" },
    rounds: { type: "string" },
    images: { type: "string" },
    "prepare-images": { type: "string" },
    reference: { type: "string" },
    "no-reference": { type: "boolean" },
    compare: { type: "string" },
    backend: { type: "string" },
    "batch-size": { type: "string" },
    robustness: { type: "string" },
    "robustness-crops": { type: "boolean" },
    pairs: { type: "string" },
    "fisher-peer": { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
  }
  const robustness = stringOption(args, "robustness");
  if (robustness !== undefined || args.values["robustness-crops"]) {
    return await benchRobustness(robustness, {
      pairs: intOption(args, "pairs", { min: 2, max: 1000 }) ?? 200,
      images: pathOption(args, "images"),
    });
  }
  if (args.values.pairs !== undefined) throw new UserError("--pairs applies to --robustness only");
  if (args.values["fisher-peer"]) {
    return await benchFisherPeer({
      images: pathOption(args, "images") ?? join(lfwDataRoot(), "lfw-deepfunneled"),
      threads: intOption(args, "threads", { min: 1, max: 64 }) ?? 2,
      peer: pathOption(args, "reference") ?? join(lfwDataRoot(), "..", "peers", "fisher_peer.py"),
    });
  }
  const backendOption = stringOption(args, "backend");
  if (backendOption !== undefined) {
    if (!(BACKEND_CHOICES as readonly string[]).includes(backendOption)) {
      throw new UserError(
        `--backend: unknown backend "${backendOption}" (known: ${BACKEND_CHOICES.join(", ")})`,
      );
    }
    return await benchBackend(backendOption as BackendChoice, {
      steps: intOption(args, "steps", { min: 2, max: 100_000 }) ?? BENCH_DEFAULTS.backendSteps,
      batchSize: intOption(args, "batch-size", { min: 1, max: 4096 }) ?? 128,
    });
  }
  if (args.values["batch-size"] !== undefined) {
    throw new UserError("--batch-size applies to --backend only");
  }
  const threads = intOption(args, "threads", { min: 1, max: 2 }) ??
    defaultTrainingThreads();
  const steps = intOption(args, "steps", { min: 1, max: 1000 }) ?? BENCH_DEFAULTS.steps;
  const rounds = intOption(args, "rounds", { min: 1, max: 100 }) ?? BENCH_DEFAULTS.rounds;
  const prepareImages = intOption(args, "prepare-images", { min: 0 }) ??
    BENCH_DEFAULTS.prepareImages;
  const memory = watchPeakMemory();
  const backend = await selectBackend("wasm");

  const figures: Record<string, unknown> = {
    date: new Date().toISOString(),
    backend: backend.name,
    provider: backend.provider,
    kernels: backend.kernels,
  };
  const say = (label: string, value: string) => console.log(`bench: ${label.padEnd(26)} ${value}`);
  const script = args.values["no-reference"] ? undefined : stringOption(args, "reference") ??
    join(lfwDataRoot(), "..", "peers", "torch_seed_model.py");
  const bench = new TrainingBenchmark({ threads });
  let training;
  try {
    await bench.warmUp();
    training = await measureAgainstReference(
      bench,
      script === undefined ? undefined : () => runTorchReference(script, threads),
      {
        rounds,
        steps,
        onRound(round, ours, reference) {
          const peer = reference === undefined
            ? ""
            : reference.ok
            ? `, PyTorch ${reference.trainPairsPerSecond!.toFixed(1)} pairs/s`
            : `, PyTorch not run: ${reference.reason}`;
          say(
            `round ${round + 1}/${rounds}`,
            `ours ${ours.pairsPerSecond.toFixed(1)} pairs/s (CPU ${
              ours.cpuPercent.toFixed(0)
            }%)${peer}`,
          );
        },
      },
    );
  } finally {
    bench.close();
  }
  Object.assign(figures, {
    trainPairsPerSecond: training.oursPairsPerSecond,
    threads,
    trainCpuPercent: training.oursCpuPercent,
    trainRounds: training.ours,
  });
  say(
    "training (batch 128)",
    `${training.oursPairsPerSecond.toFixed(1)} pairs/s, ${threads} thread(s), CPU ${
      training.oursCpuPercent.toFixed(0)
    }% (median of ${rounds})`,
  );
  if (training.ratio !== undefined) {
    const runs = training.reference;
    figures.reference = {
      version: runs[0].version,
      threads: runs[0].threads,
      trainPairsPerSecond: training.referencePairsPerSecond,
      forwardImagesPerSecond: training.referenceForwardImagesPerSecond,
      runs,
    };
    figures.trainRatioToReference = training.ratio;
    say(
      "PyTorch reference",
      `${training.referencePairsPerSecond!.toFixed(1)} pairs/s, forward ${
        training.referenceForwardImagesPerSecond!.toFixed(0)
      } images/s (median of ${rounds}, torch ${runs[0].version})`,
    );
    say(
      "training ratio",
      `${training.ratio.toFixed(2)} (ours / PyTorch, medians, alternating in the same minutes)`,
    );
  } else if (script !== undefined) {
    say("PyTorch reference", `not run: ${training.reference.find((r) => !r.ok)?.reason}`);
  }
  const forward = benchmarkForward();
  figures.forwardImagesPerSecond = forward;
  say("forward (1 thread)", `${forward.toFixed(0)} images/s`);
  const augmentation = benchmarkAugmentation();
  figures.augmentImagesPerSecond = augmentation;
  say("augmentation (1 core)", `${augmentation.toFixed(0)} images/s`);
  if (prepareImages > 0) {
    const imagesDir = pathOption(args, "images") ?? defaultImagesDir();
    const source = detectImageSource(imagesDir);
    const count = Math.min(prepareImages, source.images.length);
    // Ours, the Pillow peer, ours again: the same minutes, so the ratio is fair.
    const ours = [
      await benchmarkPrepare(source, { params: PREPARE_DEFAULTS, limit: count }),
    ];
    const pillowScript = args.values["no-reference"] ? undefined : join(
      lfwDataRoot(),
      "..",
      "peers",
      "pillow_prepare.py",
    );
    const pillow = pillowScript === undefined
      ? undefined
      : await runPillowReference(pillowScript, imagesDir, count);
    ours.push(await benchmarkPrepare(source, { params: PREPARE_DEFAULTS, limit: count }));
    const rate = median(ours);
    figures.prepareImagesPerSecond = rate;
    const decoder = await jpegDecoderName();
    figures.prepareDecoder = decoder;
    say(
      `prepare (${count} images)`,
      `${rate.toFixed(0)} images/s (median of ${
        ours.map((r) => r.toFixed(0)).join(", ")
      }; JPEG decoder: ${decoder})`,
    );
    if (pillow?.ok) {
      figures.pillowPrepareImagesPerSecond = pillow.imagesPerSecond;
      figures.prepareRatio = rate / pillow.imagesPerSecond!;
      say(
        "Pillow reference (1 core)",
        `${
          pillow.imagesPerSecond!.toFixed(0)
        } images/s (Pillow ${pillow.version}); ratio ours / Pillow ${
          (rate / pillow.imagesPerSecond!).toFixed(2)
        }`,
      );
    } else if (pillow) say("Pillow reference", `not run: ${pillow.reason}`);
  }
  const compareName = stringOption(args, "compare");
  if (compareName !== undefined) {
    const timing = await benchmarkCompare(
      new ArtifactStore(artifactsRoot()),
      validateExperimentName(compareName),
    );
    Object.assign(figures, timing);
    say(
      "compare, cold start",
      `${(timing.compareColdStartMs / 1000).toFixed(2)} s (model and threshold loaded, first pair)`,
    );
    say(
      "compare, second pair",
      `${timing.compareSecondMs.toFixed(1)} ms (two photos read, cropped, compared)`,
    );
  }
  figures.peakMemoryMiB = memory.stop();
  say("peak memory", `${(figures.peakMemoryMiB as number).toFixed(0)} MiB`);

  const dir = join(artifactsRoot(), "bench");
  await writeJsonAtomic(join(dir, "bench.json"), figures);
  console.log(`bench: written to ${join(dir, "bench.json")}`);
});

/** `--backend B`: B's training speed beside the CPU path's, written to bench.json. */
async function benchBackend(backend: BackendChoice, options: { steps: number; batchSize: number }) {
  const say = (label: string, value: string) => console.log(`bench: ${label.padEnd(26)} ${value}`);
  const describe = (run: BackendTrainingRun) =>
    run.ok
      ? `${run.warmPairsPerSecond.toFixed(1)} pairs/s warm (epochs: ${
        run.epochPairsPerSecond.map((r) => r.toFixed(1)).join(", ")
      }; ${run.steps} steps of ${run.batchSize}, ${run.threads} thread(s), ${
        run.seconds.toFixed(0)
      } s in all) on ${run.backend} (${run.kernels})`
      : `not measured: ${run.reason}`;
  const runs: BackendTrainingRun[] = [];
  for (const [i, choice] of [backend, "wasm" as const].entries()) {
    const label = i === 0 ? choice : "CPU path (wasm)";
    say(`training on ${label}`, `${options.steps} steps of ${options.batchSize} pairs...`);
    const run = await measureBackendTraining(choice, {
      ...options,
      timeoutSeconds: BENCH_DEFAULTS.backendTimeoutSeconds,
    });
    say(label, describe(run));
    runs.push(run);
  }
  const [ours, cpu] = runs;
  const figures: Record<string, unknown> = {
    date: new Date().toISOString(),
    backendTraining: { backend: ours, cpu },
  };
  if (ours.ok && cpu.ok) {
    figures.backendTraining = {
      backend: ours,
      cpu,
      ratio: ours.warmPairsPerSecond / cpu.warmPairsPerSecond,
    };
    say(
      "ratio",
      `${
        (ours.warmPairsPerSecond / cpu.warmPairsPerSecond).toFixed(2)
      } (${ours.backend} / CPU path, warm epochs)`,
    );
  }
  // Its own file: bench.json keeps the CPU figures.
  const file = join(artifactsRoot(), "bench", `backend_${backend}.json`);
  await writeJsonAtomic(file, figures);
  console.log(`bench: written to ${file}`);
  if (!ours.ok) throw new UserError(`--backend ${backend}: ${ours.reason}`);
}

/** `--robustness NAME` / `--robustness-crops`: see lib/bench/robustness.ts. */
async function benchRobustness(
  name: string | undefined,
  options: { pairs: number; images?: string },
): Promise<void> {
  const started = performance.now();
  const git = await gitState(); // the code that runs, whatever is committed meanwhile
  const store = new ArtifactStore(artifactsRoot());
  const comparer = name === undefined
    ? undefined
    : await FaceComparer.open(store, validateExperimentName(name), { backend: "auto" });
  if (comparer === undefined) await selectBackend("wasm", { log: () => {} });
  try {
    const images = options.images ?? comparer?.imagesDir ?? defaultImagesDir();
    const source = detectImageSource(images);
    if (source.kind !== "lfw-jpeg") {
      throw new UserError(`--robustness needs LFW's JPEG photos, not ${images}`);
    }
    const files = new Map(
      source.images.map((i) => [faceId(i.person, i.number), join(source.dir, i.file)]),
    );
    const protocol = defaultProtocolFiles().pairsDevTest;
    const parsed = parsePairsFile(await Deno.readTextFile(protocol), protocol);
    // A photo the copy lacks (lfw-original-150 has no Betsy_Coffin_0001) drops its pair.
    const all = parsed.pairs.flatMap((p) => {
      const a = files.get(faceId(p.a.person, p.a.number));
      const b = files.get(faceId(p.b.person, p.b.number));
      return a && b ? [{ a, b, same: p.same }] : [];
    });
    if (all.length < parsed.pairs.length) {
      console.log(
        `bench: ${
          parsed.pairs.length - all.length
        } of ${parsed.pairs.length} pairs left out: ${images} lacks a photo of them`,
      );
    }
    const pairs = samplePairs(all, options.pairs);
    const detector = await FaceDetector.open();
    const canonical = canonicalLandmarksFor(images);
    const prepare = comparer?.prepare ??
      { box: [...FACE_BOXES.face100] as [number, number, number, number], size: 64 };
    const photos = new Set(pairs.flatMap((p) => [p.a, p.b])).size;
    console.log(
      `bench: robustness of ${
        name ?? "the detector and alignment (no model)"
      } on ${pairs.length} View 1 test pairs (${photos} photos of ${images}), ${ROBUSTNESS_TRANSFORMS.length} transforms; ${detector.describe()}, aligned to the ${canonical.name} landmarks`,
    );
    const progress = new Progress("bench: robustness", photos, { unit: "photos" });
    const result = await runRobustness({
      pairs,
      detector,
      canonical: canonical.points,
      prepare,
      comparer,
      onPhoto: () => progress.advance(),
    });
    progress.finish();
    if (result.threshold !== null) {
      console.log(
        `bench: verdicts at ${name}'s threshold, ${
          result.threshold.toFixed(4)
        } on the calibrated scale`,
      );
    }
    for (const line of formatRobustness(result)) console.log(`bench: ${line}`);
    const out = join(artifactsRoot(), "bench", `robustness_${name ?? "crops"}.json`);
    await writeJsonAtomic(
      out,
      await makeRobustnessRecord(result, {
        experiment: name ?? null,
        model: comparer?.params.model.name ?? null,
        images,
        protocol,
        detector: detector.describe(),
        canonical: canonical.name,
        transforms: TRANSFORM_DESCRIPTIONS,
        command: ["deno task bench", ...Deno.args].join(" "),
        seconds: Math.round((performance.now() - started) / 1000),
      }, git),
    );
    console.log(`bench: written to ${out}`);
    if (name !== undefined) {
      console.log(
        `bench: \`deno task results --promote-robustness ${name}\` commits it to results/robustness/`,
      );
    }
  } finally {
    comparer?.dispose();
  }
}

/** `--fisher-peer`: see lib/bench/fisher_peer.ts. */
async function benchFisherPeer(options: { images: string; threads: number; peer: string }) {
  const started = performance.now();
  const git = await gitState(); // the code that runs, whatever is committed meanwhile
  const protocolDir = dirname(defaultProtocolFiles().pairsDevTest);
  const root = await Deno.makeTempDir({ prefix: "face_comparer_fisher_bench_" });
  const name = "bench_fisher_v1";
  const ours: FisherSide = { ok: true, seconds: {} };
  try {
    const run = (task: string, args: string[]) =>
      runProjectTask(task, [name, ...args], {
        label: "bench",
        env: { FACE_COMPARER_ARTIFACTS: root },
      });
    console.log(`bench: ours: fisher100_512_jb on LFW View 1 (${options.images}), store ${root}`);
    await run("train", [
      "--model",
      "fisher100_512_jb",
      "--images",
      options.images,
      "--protocol",
      "lfw-view1",
      "--val-pairs",
      "1000",
      "--threads",
      String(options.threads),
    ]);
    const tested = performance.now();
    await run("test", ["--train-eval-pairs", "0"]);
    const done = performance.now();
    const record = await new ExperimentIndex(root).requireSingle(name);
    ours.seconds = await ourFitPhases(join(root, "train", record.keys.train!));
    ours.seconds.evaluate = (done - tested) / 1000;
    ours.totalSeconds = (done - started) / 1000;
    const [result] = await readResultRecords(resultsDir(root));
    ours.testAccuracy = result?.record.metrics.test?.accuracy;
    ours.testAuc = result?.record.metrics.test?.auc ?? undefined;
    ours.valAccuracy = result?.record.metrics.val?.accuracy;
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  console.log(`bench: the peer: ${options.peer} (/usr/bin/python3), the same split`);
  const peer = await runFisherPeer(options.peer, {
    images: options.images,
    protocolDir,
    threads: options.threads,
  });
  for (const line of formatFisherComparison(ours, peer)) console.log(`bench: ${line}`);
  if (!peer.ok) console.log(`bench: the peer did not run: ${peer.reason}`);
  const out = join(artifactsRoot(), "bench", "fisher_peer.json");
  await writeJsonAtomic(out, {
    format: 1,
    kind: "fisher-peer",
    command: ["deno task bench", ...Deno.args].join(" "),
    images: options.images,
    threads: options.threads,
    ours,
    peer,
    git,
    machine: await machineFacts(),
    createdAt: new Date().toISOString(),
    seconds: Math.round((performance.now() - started) / 1000),
  });
  console.log(
    `bench: written to ${out}; \`deno task results --promote-fisher-peer\` commits it to results/bench/`,
  );
}
