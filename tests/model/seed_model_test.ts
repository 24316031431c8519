import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { initialParamArrays, ModelParams } from "../../lib/model/model_params.ts";
import { getModel } from "../../lib/model/registry.ts";
import { SEED_MODEL } from "../../lib/model/seed_model.ts";
import { forwardPairs, parameterCount } from "../../lib/model/siamese_model.ts";
import { INFERENCE_CONTEXTS } from "../../lib/train/forward_context.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("the parameter count equals the original architecture's, computed from its layer list", () => {
  // [kernel, in, out] per convolution; dense [in, out]; batch norm keeps 4 values per unit.
  const convs = [[3, 1, 32], [3, 32, 32], [5, 32, 64], [3, 64, 64], [5, 64, 128], [3, 128, 128]];
  let expected = convs.reduce((n, [k, i, o]) => n + k * k * i * o + o, 0);
  // 32 -> 30 -> 28 -> 14 -> 12 -> 6 -> 4: the last feature map is 4x4x128.
  expected += 4 * 4 * 128 * 512 + 512 + 4 * 512;
  expected += 512 * 256 + 256 + 4 * 256;
  expected += 256 + 1;
  assert.equal(expected, 1_634_017);
  assert.deepEqual(parameterCount(SEED_MODEL), {
    total: expected,
    trainable: expected - 2 * 512 - 2 * 256,
  });
});

Deno.test("the seed model maps two batches of 32x32 faces to one logit per pair", async () => {
  await selectBackend("wasm", { log: () => {} });
  const params = new ModelParams(SEED_MODEL, initialParamArrays(SEED_MODEL, new Rng(1)));
  const out = tf.tidy(() => {
    const left = tf.randomUniform([5, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const right = tf.randomUniform([5, 32, 32, 1], 0, 1, "float32", 2) as tf.Tensor4D;
    const z = forwardPairs(SEED_MODEL, params.tensors(), left, right, INFERENCE_CONTEXTS);
    // |l - r| is symmetric, so swapping the sides must not change the output.
    const swapped = forwardPairs(SEED_MODEL, params.tensors(), right, left, INFERENCE_CONTEXTS);
    return [z.shape, Array.from(z.dataSync()), Array.from(swapped.dataSync())] as const;
  });
  assert.deepEqual(out[0], [5, 1]);
  out[1].forEach((v, i) => assert.ok(Number.isFinite(v) && Math.abs(v - out[2][i]) < 1e-5));
  params.dispose();
});

Deno.test("unknown model names are user errors listing the known ones", () => {
  assert.throws(
    () => getModel("resnet"),
    (e: Error) => e instanceof UserError && /known: seed/.test(e.message),
  );
});
