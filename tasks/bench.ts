/**
 * `deno task bench`: speed figures (printed, and written as JSON), optionally beside the PyTorch
 * reference run on the same machine in the same minute.
 * @module
 */
import { join } from "node:path";
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
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 0) {
    throw new UserError(`unexpected argument "${args.positionals[0]}"`);
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
      `${rate.toFixed(0)} images/s (median of ${ours.map((r) => r.toFixed(0)).join(", ")}; JPEG decoder: ${decoder})`,
    );
    if (pillow?.ok) {
      figures.pillowPrepareImagesPerSecond = pillow.imagesPerSecond;
      figures.prepareRatio = rate / pillow.imagesPerSecond!;
      say(
        "Pillow reference (1 core)",
        `${pillow.imagesPerSecond!.toFixed(0)} images/s (Pillow ${pillow.version}); ratio ours / Pillow ${
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
    figures.backendTraining = { backend: ours, cpu, ratio: ours.warmPairsPerSecond / cpu.warmPairsPerSecond };
    say(
      "ratio",
      `${(ours.warmPairsPerSecond / cpu.warmPairsPerSecond).toFixed(2)} (${ours.backend} / CPU path, warm epochs)`,
    );
  }
  // Its own file: bench.json keeps the CPU figures.
  const file = join(artifactsRoot(), "bench", `backend_${backend}.json`);
  await writeJsonAtomic(file, figures);
  console.log(`bench: written to ${file}`);
  if (!ours.ok) throw new UserError(`--backend ${backend}: ${ours.reason}`);
}
