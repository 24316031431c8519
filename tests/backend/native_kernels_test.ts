import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  buildProblem,
  loadNativeKernels,
  NATIVE_SOURCE_URL,
  nativeAdamStep,
  nativeKernelsInUse,
  parseBuildInfo,
  useNativeKernels,
  useWasmKernels,
  withBlasThreads,
} from "../../lib/backend/native_kernels.ts";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { logLikelihoodWeights, mixtureMoments, rootSift } from "../../lib/model/fisher_vectors.ts";
import { MIXTURE_MOMENTS_KERNEL, ROOT_SIFT_KERNEL } from "../../lib/backend/kernel_names.ts";
import { Adam } from "../../lib/train/adam.ts";
import { leakyReluBiasGrad } from "../../lib/backend/wasm_leaky_relu_grad.ts";
import { Rng } from "../../lib/util/rng.ts";
import { relativeError } from "../helpers/array_compare.ts";
import { needs } from "../helpers/tiers.ts";

// The full tier (CI) requires the built library; the basic tier ignores these tests.
const status = loadNativeKernels();
const ignore = needs("native");

const rng = new Rng(33);
const random = (shape: number[]) =>
  Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));

/** The same computation on the cpu backend and on wasm with the native kernels. */
function onBoth(compute: () => tf.Tensor | tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (backend: string) => {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const out = compute();
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
  };
  const expected = run("cpu");
  const actual = run("wasm");
  return [expected, actual];
}

Deno.test({
  name: "the native library loads and replaces the wasm backend's kernels",
  ignore,
  fn: async () => {
    assert.ok(status.available, `native kernels unavailable: ${JSON.stringify(status)}`);
    const info = await selectBackend("wasm", { log: () => {} });
    assert.match(info.kernels, /^native \(OpenBLAS/);
    assert.ok(nativeKernelsInUse());
    assert.ok(
      tf.getKernel(ROOT_SIFT_KERNEL, "wasm") && tf.getKernel(MIXTURE_MOMENTS_KERNEL, "wasm"),
    );
    useWasmKernels();
    assert.ok(!nativeKernelsInUse());
    // The kernels tfjs lacks go too, so the Fisher vectors fall back on their tfjs ops.
    assert.equal(tf.getKernel(ROOT_SIFT_KERNEL, "wasm"), undefined);
    assert.equal(tf.getKernel(MIXTURE_MOMENTS_KERNEL, "wasm"), undefined);
    assert.ok(useNativeKernels());
  },
});

Deno.test({
  name: "native Conv2D and FusedConv2D (bias, relu, leaky relu) equal the cpu backend",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    for (const [k, stride, pad] of [[3, 1, "valid"], [5, 2, "same"], [1, 1, "same"], [3, 2, 1]]) {
      const x = random([3, 11, 9, 5]), w = random([k as number, k as number, 5, 7]);
      const b = random([7]);
      for (const activation of ["linear", "relu", "leakyrelu"] as const) {
        const [expected, actual] = onBoth(() => {
          const xs = tf.tensor4d(x, [3, 11, 9, 5]);
          const ws = tf.tensor4d(w, [k as number, k as number, 5, 7]);
          const strides = stride as number, padding = pad as "valid";
          return [
            tf.conv2d(xs, ws, strides, padding),
            tf.fused.conv2d({
              x: xs,
              filter: ws,
              strides,
              pad: padding,
              bias: tf.tensor1d(b),
              activation,
              leakyreluAlpha: 0.33,
            }),
          ];
        });
        const what = `k ${k} stride ${stride} pad ${pad} ${activation}`;
        assert.ok(relativeError(expected[0], actual[0]) < 1e-5, `Conv2D ${what}`);
        assert.ok(relativeError(expected[1], actual[1]) < 1e-5, `FusedConv2D ${what}`);
      }
    }
    tf.setBackend("wasm");
  },
});

Deno.test({
  name: "native BatchMatMul equals the cpu backend for every transpose flag and batch size",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    for (const batch of [[], [1], [3]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        const aShape = [...batch, ...(ta ? [7, 5] : [5, 7])];
        const bShape = [...batch, ...(tb ? [4, 7] : [7, 4])];
        const a = random(aShape), b = random(bShape);
        const [expected, actual] = onBoth(() =>
          tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb)
        );
        assert.ok(
          relativeError(expected[0], actual[0]) < 1e-5,
          `batch ${JSON.stringify(batch)} transposeA ${ta} transposeB ${tb}`,
        );
      }
    }
    tf.setBackend("wasm");
    // Empty operands never reach the C code (which trusts its sizes).
    assert.ok(nativeKernelsInUse());
    const none = tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 4]));
    assert.deepEqual(none.shape, [0, 4]);
    const noFaces = tf.conv2d(
      tf.zeros([0, 6, 6, 1]) as tf.Tensor4D,
      tf.ones([3, 3, 1, 2]),
      1,
      "valid",
    );
    assert.deepEqual(noFaces.shape, [0, 4, 4, 2]);
    tf.dispose([none, noFaces]);
  },
});

Deno.test({
  name: "the native leaky-ReLU and bias gradient equals the composite",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    // 70 rows cross the kernel's 64-row partial-sum blocks.
    const dy = tf.tensor(random([2, 5, 7, 6]), [2, 5, 7, 6]);
    const y = tf.tensor(random([2, 5, 7, 6]), [2, 5, 7, 6]);
    const [dz, db] = leakyReluBiasGrad(dy, y, { alpha: 0.33 });
    const expected = tf.where(tf.greater(y, 0), dy, tf.mul(dy, 0.33));
    assert.ok(relativeError(expected.dataSync(), dz.dataSync()) < 1e-7);
    assert.ok(relativeError(tf.sum(expected, [0, 1, 2]).dataSync(), db.dataSync()) < 1e-6);
  },
});

Deno.test({
  name:
    "native dense root-SIFT equals its tfjs ops (cpu backend) for several sizes, cells and steps",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    // Sides that are not a whole number of steps; flat patches (all-zero gradients).
    for (const [side, cell, step] of [[100, 5, 2], [56, 5, 2], [33, 4, 3], [20, 5, 1], [9, 2, 4]]) {
      const pixels = Float32Array.from(
        random([2, side, side, 1]),
        (v, i) => i < side * side ? 128 : 128 + 100 * v,
      );
      const [expected, actual] = onBoth(() =>
        rootSift(tf.tensor4d(pixels, [2, side, side, 1]), cell, step)
      );
      const count = Math.floor((side - 4 * cell) / step) + 1;
      assert.equal(actual[0].length, 2 * count * count * 128, `side ${side}`);
      assert.ok(
        relativeError(expected[0], actual[0]) < 1e-5,
        `side ${side} cell ${cell} step ${step}: ${relativeError(expected[0], actual[0])}`,
      );
    }
    tf.setBackend("wasm");
    assert.throws(() => rootSift(tf.zeros([1, 7, 7, 1]) as tf.Tensor4D, 2, 1), /at least 4 cells/);
    assert.deepEqual(rootSift(tf.zeros([0, 20, 20, 1]) as tf.Tensor4D, 5, 1).shape, [0, 1, 128]);
  },
});

Deno.test({
  name: "native mixture moments equal their tfjs ops (cpu backend) across blocks and odd sizes",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    // 37 Gaussians: not a whole number of the softmax's 16 lanes; 600 rows: three blocks, the last
    // partial; spread-out means make most posteriors underflow, as in real Fisher vectors.
    for (
      const [batch, rows, dims, gaussians] of [[2, 600, 5, 37], [1, 3, 4, 64], [3, 257, 66, 16]]
    ) {
      const mixture = {
        means: tf.tensor(random([gaussians, dims]), [gaussians, dims]).mul(3),
        variances: tf.tensor(random([gaussians, dims]), [gaussians, dims]).abs().add(0.05),
        weights: tf.tensor(random([gaussians]), [gaussians]).abs().add(0.1),
      };
      const x = random([batch, rows, dims]);
      const [expected, actual] = onBoth(() => {
        const { second, first, mass } = mixtureMoments(
          tf.tensor3d(x, [batch, rows, dims]).mul(2) as tf.Tensor3D,
          logLikelihoodWeights({ ...mixture, weights: mixture.weights.div(mixture.weights.sum()) }),
        );
        assert.deepEqual(mass.shape, [batch, gaussians, 1]);
        return [second, first, mass];
      });
      for (let i = 0; i < 3; i++) {
        const error = relativeError(expected[i], actual[i]);
        assert.ok(error < 1e-5, `${[batch, rows, dims, gaussians]} output ${i}: ${error}`);
      }
      tf.dispose(Object.values(mixture));
    }
  },
});

Deno.test({
  name: "native mixture moments shared between threads equal those of one thread",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    const [batch, rows, dims, gaussians] = [2, 1000, 6, 40];
    const mixture = {
      means: tf.tensor(random([gaussians, dims]), [gaussians, dims]),
      variances: tf.tensor(random([gaussians, dims]), [gaussians, dims]).abs().add(0.05),
      weights: tf.fill([gaussians], 1 / gaussians),
    };
    const x = tf.tensor3d(random([batch, rows, dims]), [batch, rows, dims]);
    const weights = logLikelihoodWeights(mixture);
    const values = () => {
      const { second, first, mass } = mixtureMoments(x, weights);
      return [second, first, mass].map((t) => t.dataSync() as Float32Array);
    };
    const one = values();
    // Three threads (1,000 rows: three blocks of 256 and more), then back to one.
    const three = await withBlasThreads(3, values);
    for (let i = 0; i < 3; i++) {
      assert.ok(relativeError(one[i], three[i]) < 1e-5, `output ${i}`);
      assert.notDeepEqual(one[i], new Float32Array(one[i].length));
    }
    assert.deepEqual(values(), one);
    tf.dispose([x, weights, ...Object.values(mixture)]);
  },
});

Deno.test({
  name: "the native Adam step equals the tfjs ops bit for bit, and skips shared memory",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    const shapes = [[3, 3, 8, 16], [513], [7, 5]];
    const initial = shapes.map((s) => random(s));
    // Gradients of very different scales, so that v, sqrt(v) and epsilon all matter.
    const grads = [0, 1, 2, 3].map((step) =>
      shapes.map((s) => random(s).map((g, i) => g * 10 ** ((i + step) % 9 - 6)))
    );
    const train = (native: boolean) => {
      if (native) assert.ok(useNativeKernels());
      else useWasmKernels();
      const variables = new Map(
        shapes.map((s, i) => [`w${i}`, tf.tidy(() => tf.variable(tf.tensor(initial[i], s)))]),
      );
      const memory = [...variables.values()].map((v) => v.dataId);
      const adam = new Adam();
      for (const step of grads) {
        const g = new Map(shapes.map((s, i) => [`w${i}`, tf.tensor(step[i], s)]));
        adam.apply(variables, g);
        tf.dispose([...g.values()]);
      }
      // The native step writes in place from the first step on; the ops assign new tensors.
      const inPlace = [...variables.values()].every((v, i) => v.dataId === memory[i]);
      assert.equal(inPlace, native);
      const state = adam.state();
      const out = [...variables.values()].map((v) => v.dataSync() as Float32Array);
      adam.dispose();
      tf.dispose([...variables.values()]);
      return { out, m: [...state.m.values()], v: [...state.v.values()] };
    };
    const viaOps = train(false);
    const native = train(true);
    assert.ok(nativeKernelsInUse());
    for (const key of ["out", "m", "v"] as const) {
      viaOps[key].forEach((a, i) => assert.deepEqual(native[key][i], a, `${key}[${i}]`));
    }
    // Moved by the step, not left alone: the first weights differ from their initial values.
    assert.notDeepEqual(native.out[0], initial[0]);

    const slot = (variable: tf.Tensor) => ({
      variable,
      m: tf.zerosLike(variable),
      v: tf.zerosLike(variable),
      gradient: tf.onesLike(variable),
    });
    const constants = {
      beta1: 0.9,
      oneMinusBeta1: 0.1,
      beta2: 0.999,
      oneMinusBeta2: 0.001,
      learningRate: 0.01,
      epsilon: 1e-7,
    };
    const alone = tf.tensor1d([1, 2, 3]);
    const s1 = slot(alone);
    assert.ok(nativeAdamStep(s1, constants));
    assert.ok(alone.dataSync()[0] < 1);
    // A reshape shares the tensor's memory: writing in place would change it too.
    const shared = tf.tensor1d([1, 2, 3]);
    const view = tf.reshape(shared, [3, 1]);
    const s2 = slot(shared);
    assert.ok(!nativeAdamStep(s2, constants));
    assert.deepEqual([...view.dataSync()], [1, 2, 3]);
    useWasmKernels();
    const s3 = slot(tf.tensor1d([1, 2, 3]));
    assert.ok(!nativeAdamStep(s3, constants));
    assert.ok(useNativeKernels());
    tf.dispose([alone, shared, view, ...[s1, s2, s3].flatMap((s) => Object.values(s))]);
  },
});

Deno.test({
  name: "FACE_COMPARER_BLAS_CORE naming a kernel set OpenBLAS does not load is a one-line error",
  ignore,
  fn: async () => {
    // OpenBLAS reads its core type once, when it loads: each setting needs a fresh process.
    const module = new URL("../../lib/backend/native_kernels.ts", import.meta.url).href;
    const run = async (core: string) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { loadNativeKernels } from "${module}";
           try { console.log(JSON.stringify(loadNativeKernels())); }
           catch (e) { console.log(e.name + ": " + e.message); Deno.exit(3); }`,
        ],
        env: { FACE_COMPARER_BLAS_CORE: core },
      }).output();
      return { code: output.code, text: new TextDecoder().decode(output.stdout).trim() };
    };
    const unknown = await run("NoSuchCore");
    assert.equal(unknown.code, 3, unknown.text);
    assert.match(unknown.text, /^UserError: FACE_COMPARER_BLAS_CORE=NoSuchCore: OpenBLAS .* chose/);
    const haswell = await run("haswell");
    assert.equal(haswell.code, 0, haswell.text);
    assert.match(haswell.text, /Haswell kernels/);
    // Set for OpenBLAS while it loads, then put back: child processes see the machine's value.
    const inherited = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { loadNativeKernels } from "${module}";
         loadNativeKernels(); console.log(Deno.env.get("OPENBLAS_CORETYPE") ?? "unset");`,
      ],
      env: { FACE_COMPARER_BLAS_CORE: "haswell", OPENBLAS_CORETYPE: "Zen" },
    }).output();
    assert.equal(new TextDecoder().decode(inherited.stdout).trim(), "Zen");
  },
});

Deno.test("a build is refused when its source changed or the CPU lacks its instructions", () => {
  const build = parseBuildInfo("abc123| sse4_2 avx avx2 fma|1");
  assert.deepEqual(build, {
    sourceSha256: "abc123",
    features: ["sse4_2", "avx", "avx2", "fma"],
    threading: "pthreads",
  });
  const haswell = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse4_2 avx avx2 fma bmi2\n";
  const old = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse4_2 avx\n";
  assert.equal(buildProblem(build, "abc123", haswell), undefined);
  assert.match(
    buildProblem(build, "def456", haswell)!,
    /built from another version of native\/conv_kernels\.c: run `deno task build-native`/,
  );
  assert.match(
    buildProblem(build, "abc123", old)!,
    /built for a CPU with avx2, fma, which this CPU lacks: run `deno task build-native` on this machine/,
  );
  // No flags to compare with (another OS): only the source is checked.
  assert.equal(buildProblem(build, "abc123", ""), undefined);
});

Deno.test({
  name: "the built library is stamped with the source it was built from and the threading it uses",
  ignore,
  fn: () => {
    assert.ok(status.available);
    const library = Deno.dlopen((status as { path: string }).path, {
      fc_build_info: { parameters: ["buffer", "i32"], result: "i32" },
    });
    const text = new Uint8Array(512);
    const length = library.symbols.fc_build_info(text, text.length);
    library.close();
    const build = parseBuildInfo(new TextDecoder().decode(text.subarray(0, length)));
    const source = Deno.readFileSync(NATIVE_SOURCE_URL);
    return crypto.subtle.digest("SHA-256", source).then((digest) => {
      const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
      assert.equal(build.sourceSha256, hex);
      assert.match((status as { description: string }).description, new RegExp(build.threading));
    });
  },
});

Deno.test({
  name: "two workers multiply with OpenBLAS at the same time and both get right products",
  ignore,
  fn: async () => {
    const run = (seed: number) =>
      new Promise<{ native: boolean; worst: number }>((resolve, reject) => {
        const worker = new Worker(
          new URL("../helpers/native_matmul_worker.ts", import.meta.url),
          { type: "module" },
        );
        worker.onmessage = (e) => {
          worker.terminate();
          resolve(e.data);
        };
        worker.onerror = (e) => {
          worker.terminate();
          reject(e);
        };
        worker.postMessage({ seed, size: 160, rounds: 20 });
      });
    const results = await Promise.all([run(1), run(2)]);
    for (const r of results) {
      assert.ok(r.native, "the worker computed with the native kernels");
      assert.ok(r.worst < 1e-5, `relative error ${r.worst}`);
    }
  },
});
