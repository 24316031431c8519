/**
 * The WebGPU backend against the pure-JS `cpu` backend on the `seed` network: the forward pass,
 * the gradients of the training loss with respect to every parameter, and real training steps
 * through the trainer's own step code. Any adapter counts, Mesa's software lavapipe included
 * (`apt-get install mesa-vulkan-drivers`). Deno 2.9 has WebGPU built in; older Deno 2 releases
 * need `--unstable-webgpu`.
 *
 * Each backend builds its own variables from the same plain arrays: moving tensors from WebGPU
 * to another backend would need a synchronous read, which Deno's WebGPU cannot do.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type BackendChoice, selectBackend } from "../../lib/backend/select_backend.ts";
import { pairLogits, predictPairsAsync } from "../../lib/evaluate/predict_pairs.ts";
import { initialParamArrays, ModelParams, type ParamArrays } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import { Adam, ADAM_DEFAULTS } from "../../lib/train/adam.ts";
import { pairTrainingContexts, type StateUpdates } from "../../lib/train/forward_context.ts";
import type { Batch } from "../../lib/train/pair_batches.ts";
import { localTrainStepAsync, trainingLoss } from "../../lib/train/train_step.ts";
import { Rng } from "../../lib/util/rng.ts";
import { relativeError } from "../helpers/array_compare.ts";
import { needs, probeWebGpuRequirement } from "../helpers/tiers.ts";
import { join } from "node:path";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { testExperiment } from "../../lib/pipeline/test_stage.ts";
import { FaceComparer } from "../../lib/compare/face_comparer.ts";
import { readFaceImage } from "../../lib/compare/face_image.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

const MODEL = getModel("seed");
const KEY = { seed: 7, epoch: 1, batch: 0 };
const TOLERANCE = 1e-3;
await probeWebGpuRequirement();
const ignore = needs("webgpu");
/**
 * Dense biases that a training-mode batch norm follows: the normalisation removes them, so their
 * gradient is zero in exact arithmetic and only rounding noise on any backend.
 */
const BEFORE_BATCH_NORM = new Set(
  MODEL.params.map((p) => p.name).filter((name) =>
    name.endsWith("/bias") &&
    MODEL.params.some((q) => q.name === name.replace(/\/bias$/, "_bn/gamma"))
  ),
);

const maxAbs = (values: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
};

/** `count` pairs of random faces at the model's input size, half of them labelled same. */
function randomBatch(count: number, seed: number): Batch {
  const rng = new Rng(seed);
  const n = count * MODEL.inputSize * MODEL.inputSize;
  return {
    left: Float32Array.from({ length: n }, () => rng.nextFloat()),
    right: Float32Array.from({ length: n }, () => rng.nextFloat()),
    labels: Float32Array.from({ length: count }, (_, i) => i % 2),
    count,
  };
}

/** Runs `fn` on `backend` with fresh parameters made from `values`, then frees them. */
async function onBackend<T>(
  backend: BackendChoice,
  values: ParamArrays,
  fn: (params: ModelParams) => Promise<T>,
): Promise<T> {
  await selectBackend(backend, { log: () => {} });
  assert.equal(tf.getBackend(), backend);
  const params = new ModelParams(MODEL, values);
  try {
    return await fn(params);
  } finally {
    params.dispose();
  }
}

/** Inference logits, training-mode loss and every trainable parameter's gradient of a batch. */
async function forwardAndGradients(params: ModelParams, batch: Batch) {
  const size = MODEL.inputSize;
  const logits = tf.tidy(() =>
    pairLogits(params, {
      left: tf.tensor4d(batch.left, [batch.count, size, size, 1]),
      right: tf.tensor4d(batch.right, [batch.count, size, size, 1]),
    }, { flip: false })
  );
  const updates = { left: [] as StateUpdates, right: [] as StateUpdates, head: [] as StateUpdates };
  const ctx = pairTrainingContexts(KEY, updates);
  const trainable = params.trainable();
  const nameOf = new Map([...trainable].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => {
    const result = trainingLoss(params, batch, ctx);
    result.correct.dispose();
    return result.loss;
  }, [...trainable.values()]);
  const out = {
    logits: await logits.data() as Float32Array,
    loss: (await value.data())[0],
    grads: new Map<string, Float32Array>(),
  };
  for (const [varName, g] of Object.entries(grads)) {
    out.grads.set(nameOf.get(varName)!, await g.data() as Float32Array);
  }
  tf.dispose([logits, value, ...Object.values(grads)]);
  tf.dispose([...updates.left, ...updates.right, ...updates.head].map((u) => u.value));
  return out;
}

Deno.test({
  name: "webgpu: the seed network's forward pass and all its gradients match the cpu backend",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const values = initialParamArrays(MODEL, new Rng(11));
    const batch = randomBatch(4, 12);
    const cpu = await onBackend("cpu", values, (p) => forwardAndGradients(p, batch));
    const gpu = await onBackend("webgpu", values, (p) => forwardAndGradients(p, batch));
    assert.ok(
      relativeError(cpu.logits, gpu.logits) < TOLERANCE,
      `logits: ${cpu.logits} vs ${gpu.logits}`,
    );
    assert.ok(Math.abs(cpu.loss - gpu.loss) / Math.abs(cpu.loss) < TOLERANCE, "loss");
    const trainable = MODEL.params.filter((p) => p.trainable).map((p) => p.name);
    assert.deepEqual([...gpu.grads.keys()].sort(), [...trainable].sort());
    // The largest gradient value of any parameter: the scale of the gradients that carry none.
    const scale = Math.max(...trainable.map((name) => maxAbs(cpu.grads.get(name)!)));
    const lines = [];
    for (const name of trainable) {
      const expected = cpu.grads.get(name)!, actual = gpu.grads.get(name)!;
      if (BEFORE_BATCH_NORM.has(name)) {
        // Zero in exact arithmetic: both backends give rounding noise, far below the scale.
        const noise = Math.max(maxAbs(expected), maxAbs(actual)) / scale;
        lines.push(
          `${name}: zero in exact arithmetic; largest value ${noise.toExponential(1)} of the scale`,
        );
        assert.ok(noise < TOLERANCE, `gradient of ${name}: ${noise} of the scale, not near zero`);
        continue;
      }
      const error = relativeError(expected, actual);
      lines.push(`${name}: relative error ${error.toExponential(2)}`);
      assert.ok(
        error < TOLERANCE,
        `gradient of ${name}: relative error ${error}\n${lines.join("\n")}`,
      );
    }
    console.log(`webgpu vs cpu gradients:\n  ${lines.join("\n  ")}`);
  },
});

Deno.test({
  name: "webgpu: two training steps through the trainer's step code match the cpu backend",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const values = initialParamArrays(MODEL, new Rng(21));
    const batches = [randomBatch(4, 22), randomBatch(4, 23)];
    const train = (params: ModelParams) => async () => {
      const adam = new Adam();
      try {
        const steps = [];
        for (const [i, batch] of batches.entries()) {
          steps.push(
            await localTrainStepAsync({ params, adam }, { batch, key: { ...KEY, batch: i } }),
          );
        }
        const validation = await predictPairsAsync(params, {
          faces: Uint8Array.from({ length: 8 * MODEL.inputSize ** 2 }, (_, i) => (i * 37) % 256),
          size: MODEL.inputSize,
          pairs: {
            a: Int32Array.from([0, 1, 2, 3]),
            b: Int32Array.from([4, 5, 6, 7]),
            same: Uint8Array.from([1, 0, 1, 0]),
          },
          batchSize: 4,
          seed: 1,
          augment: null,
        });
        return {
          steps,
          weights: await params.readArrays(),
          adam: await adam.readState(),
          validation,
        };
      } finally {
        adam.dispose();
      }
    };
    const cpu = await onBackend("cpu", values, (p) => train(p)());
    const gpu = await onBackend("webgpu", values, (p) => train(p)());
    for (const [i, step] of cpu.steps.entries()) {
      assert.equal(gpu.steps[i].correct, step.correct, `step ${i}: correct`);
      assert.ok(
        Math.abs(gpu.steps[i].lossSum - step.lossSum) / Math.abs(step.lossSum) < TOLERANCE,
        `step ${i}: loss ${step.lossSum} vs ${gpu.steps[i].lossSum}`,
      );
    }
    // Adam's first steps move each weight by about the learning rate whatever its gradient's
    // size, so a gradient component near zero whose sign the two backends round differently
    // moves the opposite way (at most 2 steps x 2 x lr apart). Such components must be rare;
    // every other weight must agree within the tolerance. Biases before a batch norm have only
    // rounding noise as gradient (see above), so every one of their components may differ so.
    const lr = ADAM_DEFAULTS.learningRate;
    const flipBound = 2 * 2 * lr * 1.01;
    const lines = [];
    const failures = [];
    for (const [name, expected] of cpu.weights) {
      const actual = gpu.weights.get(name)!;
      const scale = maxAbs(expected) || 1;
      let off = 0, beyond = 0;
      for (let i = 0; i < expected.length; i++) {
        const diff = Math.abs(expected[i] - actual[i]);
        if (diff > TOLERANCE * scale) off++;
        if (diff > flipBound) beyond++;
      }
      const error = relativeError(expected, actual);
      lines.push(
        `${name}: relative error ${
          error.toExponential(2)
        }, ${off} of ${expected.length} off by more`,
      );
      const allowed = BEFORE_BATCH_NORM.has(name)
        ? expected.length
        : Math.ceil(1e-3 * expected.length);
      if (beyond > 0 || off > allowed) failures.push(name);
    }
    console.log(`webgpu vs cpu weights after 2 steps:\n  ${lines.join("\n  ")}`);
    assert.deepEqual(failures, [], lines.join("\n"));
    assert.equal(gpu.adam.step, cpu.adam.step);
    assert.ok(
      relativeError(cpu.validation.probabilities, gpu.validation.probabilities) < TOLERANCE,
      "validation probabilities",
    );
  },
});

Deno.test({
  name: "webgpu: `test` and `compare` of a model trained on wasm give the wasm scores",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const images = tempDir();
    writePgmFolder(images, { people: 24, perPerson: 8 });
    const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
    await trainExperiment(store, tinyTrainOptions(images, "tiny", "seed"));
    const params = { ...TEST_DEFAULTS, trainEvalPairs: 8, galleryPairs: 0 };
    const predictions = async (backend: BackendChoice) => {
      const tested = await testExperiment(store, {
        name: "tiny",
        params,
        backend,
        force: true,
        log: () => {},
      });
      return JSON.parse(Deno.readTextFileSync(join(tested.dir, "predictions.json")));
    };
    const wasm = await predictions("wasm");
    const gpu = await predictions("webgpu");
    for (const set of ["val", "test", "train"]) {
      assert.equal(gpu[set].length, wasm[set].length, set);
      const worst = Math.max(...wasm[set].map((p: number, i: number) => Math.abs(p - gpu[set][i])));
      assert.ok(worst < 1e-4, `${set}: probabilities differ by up to ${worst}`);
    }
    const score = async (backend: BackendChoice) => {
      const comparer = await FaceComparer.open(store, "tiny", { backend });
      try {
        const face = (file: string) => readFaceImage(join(images, "faces", file), comparer.prepare);
        const a = await face("Pgm_Person0_0001.pgm"), b = await face("Pgm_Person1_0002.pgm");
        return await comparer.compare([[a, b]]);
      } finally {
        comparer.dispose();
      }
    };
    const [onWasm] = await score("wasm");
    const [onGpu] = await score("webgpu");
    assert.ok(Math.abs(onWasm - onGpu) < 1e-4, `compare: ${onWasm} on wasm, ${onGpu} on webgpu`);
  },
});
