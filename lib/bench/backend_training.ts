/**
 * Training speed of one backend against the CPU path: the seed model trained by the project's
 * own loop (`runTraining`: batch prefetching and augmentation, Adam steps, a validation pass and
 * a checkpoint after each epoch) on synthetic faces (no LFW needed), two epochs of `steps`/2
 * steps each. The first epoch includes start-up (WebGPU compiles its shaders on first use); the
 * second is the warm figure. Each backend runs in its own child process, so that a backend that
 * hangs or crashes is cut off after `timeoutSeconds` and the other is still measured.
 *
 * `deno task bench --backend webgpu` uses it; run directly, this module measures one backend and
 * prints its result as one JSON line (what the parent reads).
 *
 * @example
 * ```ts
 * const run = await measureBackendTraining("webgpu", { steps: 300, batchSize: 128, timeoutSeconds: 240 });
 * if (run.ok) console.log(run.warmPairsPerSecond);
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BACKEND_CHOICES, type BackendChoice, selectBackend } from "../backend/select_backend.ts";
import { ADAM_DEFAULTS, AUGMENT_DEFAULTS, defaultTrainingThreads } from "../config/defaults.ts";
import { getModel } from "../model/registry.ts";
import { runTraining } from "../train/trainer.ts";
import { Rng } from "../util/rng.ts";

/** What one backend's run measured, or why it has no figure. */
export type BackendTrainingRun =
  | {
    ok: true;
    /** The backend used and its kernels / adapter, as the backend line names them. */
    backend: string;
    kernels: string;
    threads: number;
    steps: number;
    batchSize: number;
    /** Pairs per second of each epoch (the first includes start-up). */
    epochPairsPerSecond: number[];
    /** The last (warm) epoch's pairs per second. */
    warmPairsPerSecond: number;
    /** Seconds of the whole run, start-up included. */
    seconds: number;
  }
  | { ok: false; backend: string; reason: string };

const RESULT_PREFIX = "backend_training_result ";

/** Faces of synthetic people: a smooth random pattern each, shifted in brightness, with noise. */
function syntheticFaces(size: number, people: number, perPerson: number, rng: Rng): Uint8Array {
  const faces = new Uint8Array(people * perPerson * size * size);
  for (let p = 0; p < people; p++) {
    const fx = 1 + 4 * rng.nextFloat(), fy = 1 + 4 * rng.nextFloat(), phase = 6 * rng.nextFloat();
    for (let k = 0; k < perPerson; k++) {
      const shift = 40 * (rng.nextFloat() - 0.5);
      const base = (p * perPerson + k) * size * size;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const v = 128 + 80 * Math.sin((fx * x + fy * y) / size * Math.PI + phase) + shift +
            30 * (rng.nextFloat() - 0.5);
          faces[base + y * size + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return faces;
}

/** Half same-person, half different-person pairs of the synthetic people. */
function syntheticPairs(count: number, people: number, perPerson: number, rng: Rng) {
  const a = new Int32Array(count), b = new Int32Array(count), same = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const p = rng.nextInt(people);
    a[i] = p * perPerson + rng.nextInt(perPerson);
    if (i % 2 === 0) {
      same[i] = 1;
      b[i] = p * perPerson + ((a[i] % perPerson) + 1 + rng.nextInt(perPerson - 1)) % perPerson;
    } else {
      const q = (p + 1 + rng.nextInt(people - 1)) % people;
      b[i] = q * perPerson + rng.nextInt(perPerson);
    }
  }
  return { a, b, same };
}

/**
 * Trains the seed model on `backend` in this process (two epochs of `steps`/2 steps) and
 * returns the figures. Threads as `deno task train` uses them: two workers on wasm, else one.
 */
export async function trainOnBackend(
  backendChoice: BackendChoice,
  options: { steps: number; batchSize: number },
): Promise<BackendTrainingRun> {
  const backend = await selectBackend(backendChoice);
  const threads = backend.name === "wasm" ? defaultTrainingThreads() : 1;
  const stepsPerEpoch = Math.max(1, Math.ceil(options.steps / 2));
  const model = getModel("seed");
  const people = 200, perPerson = 10;
  const rng = new Rng(1);
  const faces = syntheticFaces(model.inputSize, people, perPerson, rng);
  const workDir = await Deno.makeTempDir({ prefix: "backend_training_" });
  const started = performance.now();
  try {
    const result = await runTraining(
      {
        model: model.name,
        epochs: 2,
        batchSize: options.batchSize,
        seed: 1,
        augment: AUGMENT_DEFAULTS,
        adam: ADAM_DEFAULTS,
        schedule: "constant",
        warmupEpochs: 0,
        minImagesPerPerson: 2,
      },
      {
        faces,
        size: model.inputSize,
        train: syntheticPairs(stepsPerEpoch * options.batchSize, people, perPerson, rng),
        // 256 validation pairs, as few as the training pairs for tiny runs (their plumbing).
        val: syntheticPairs(
          Math.min(256, 2 * Math.ceil(stepsPerEpoch * options.batchSize / 2)),
          people,
          perPerson,
          rng,
        ),
      },
      { workDir, log: () => {}, progress: false, threads },
    );
    const epochPairsPerSecond = result.history.map((r) => r.pairsPerSecond);
    return {
      ok: true,
      backend: backend.name,
      kernels: backend.kernels,
      threads,
      steps: 2 * stepsPerEpoch,
      batchSize: options.batchSize,
      epochPairsPerSecond,
      warmPairsPerSecond: epochPairsPerSecond[epochPairsPerSecond.length - 1],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

/**
 * Runs {@linkcode trainOnBackend} in a child process, cut off after `timeoutSeconds`; a
 * backend that is missing, fails or runs out of time gives `ok: false` with the reason.
 */
export async function measureBackendTraining(
  backend: BackendChoice,
  options: { steps: number; batchSize: number; timeoutSeconds: number },
): Promise<BackendTrainingRun> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutSeconds * 1000);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--unstable-webgpu",
        fileURLToPath(import.meta.url),
        "--backend",
        backend,
        "--steps",
        String(options.steps),
        "--batch-size",
        String(options.batchSize),
      ],
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const line = text.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
    if (line) return JSON.parse(line.slice(RESULT_PREFIX.length)) as BackendTrainingRun;
    if (controller.signal.aborted) {
      return { ok: false, backend, reason: `stopped after ${options.timeoutSeconds} s` };
    }
    const errors = new TextDecoder().decode(out.stderr).trim().split("\n")
      .filter((l) => l && !l.includes("XDG_RUNTIME_DIR"));
    return { ok: false, backend, reason: errors.pop() ?? `exit code ${out.code}` };
  } finally {
    clearTimeout(timer);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      backend: { type: "string", default: "webgpu" },
      steps: { type: "string", default: "300" },
      "batch-size": { type: "string", default: "128" },
    },
  });
  const backend = values.backend as BackendChoice;
  let run: BackendTrainingRun;
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) {
    run = { ok: false, backend, reason: `--backend must be one of ${BACKEND_CHOICES.join(", ")}` };
  } else {
    try {
      run = await trainOnBackend(backend, {
        steps: Number(values.steps),
        batchSize: Number(values["batch-size"]),
      });
    } catch (error) {
      run = { ok: false, backend, reason: (error as Error).message.split("\n")[0] };
    }
  }
  console.log(RESULT_PREFIX + JSON.stringify(run));
  // Worker threads and WebGPU devices may keep the event loop alive.
  Deno.exit(0);
}
