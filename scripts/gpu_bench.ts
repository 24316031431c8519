/**
 * Training speed on one backend, on synthetic faces (no LFW needed): the seed model trained by
 * the project's own loop (`runTraining`: batch prefetching and augmentation, Adam steps, a
 * validation pass and a checkpoint after each epoch) for two epochs of `--steps`/2 steps each.
 * The first epoch includes start-up (WebGPU compiles its shaders on first use); the second is
 * the warm figure. Prints one `gpu_bench:` line per epoch and a `gpu_bench: result` line.
 *
 * Usage: deno run -A --unstable-webgpu scripts/gpu_bench.ts [--backend B] [--steps N]
 *        [--batch-size N] [--threads N]
 * (`scripts/gpu_bench.sh` runs it on WebGPU and on the CPU path, one after the other.)
 * @module
 */
import { parseArgs } from "node:util";
import {
  BACKEND_CHOICES,
  type BackendChoice,
  selectBackend,
} from "../lib/backend/select_backend.ts";
import { AUGMENT_DEFAULTS } from "../lib/augment/affine_augmenter.ts";
import { getModel } from "../lib/model/registry.ts";
import { ADAM_DEFAULTS } from "../lib/train/adam.ts";
import { runTraining } from "../lib/train/trainer.ts";
import { Rng } from "../lib/util/rng.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "webgpu" },
    steps: { type: "string", default: "300" },
    "batch-size": { type: "string", default: "128" },
    threads: { type: "string" },
  },
});
const backendChoice = values.backend as BackendChoice;
if (!(BACKEND_CHOICES as readonly string[]).includes(backendChoice)) {
  console.error(`gpu_bench: --backend must be one of ${BACKEND_CHOICES.join(", ")}`);
  Deno.exit(2);
}
const steps = Math.max(2, Number(values.steps));
const batchSize = Number(values["batch-size"]);
const stepsPerEpoch = Math.ceil(steps / 2);

const backend = await selectBackend(backendChoice);
// As `deno task train` does: two worker threads (one per side of each pair) on wasm only.
const threads = backend.name === "wasm"
  ? Number(values.threads ?? Math.min(2, navigator.hardwareConcurrency))
  : 1;

// Synthetic faces: each person is a smooth random pattern, each image of them that pattern
// shifted in brightness and overlaid with noise, so the pairs are learnable.
const model = getModel("seed");
const size = model.inputSize;
const people = 200, perPerson = 10, images = people * perPerson;
const rng = new Rng(1);
const faces = new Uint8Array(images * size * size);
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
function pairs(count: number) {
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

const workDir = await Deno.makeTempDir({ prefix: "gpu_bench_" });
const started = performance.now();
try {
  const result = await runTraining(
    {
      model: "seed",
      epochs: 2,
      batchSize,
      seed: 1,
      augment: AUGMENT_DEFAULTS,
      adam: ADAM_DEFAULTS,
      schedule: "constant",
      warmupEpochs: 0,
      minImagesPerPerson: 2,
    },
    { faces, size, train: pairs(stepsPerEpoch * batchSize), val: pairs(256) },
    { workDir, log: () => {}, progress: false, threads },
  );
  for (const r of result.history) {
    console.log(
      `gpu_bench: ${backend.name} epoch ${r.epoch}: ${r.pairsPerSecond.toFixed(1)} pairs/s ` +
        `(${stepsPerEpoch} steps of ${batchSize}), loss ${r.trainLoss.toFixed(4)}, val AUC ${
          r.valAuc!.toFixed(3)
        }, ${r.seconds.toFixed(1)} s with validation and checkpoint`,
    );
  }
  const warm = result.history[result.history.length - 1];
  console.log(
    `gpu_bench: result ${backend.name} (${backend.kernels}), ${threads} thread(s): ` +
      `${warm.pairsPerSecond.toFixed(1)} pairs/s warm, ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s in all`,
  );
} finally {
  await Deno.remove(workDir, { recursive: true });
}
