/**
 * Describing faces for a fit: shared between workers, every value equals the one-thread result,
 * with and without an encoder's parameters; a worker's failure reaches the caller.
 */
import assert from "node:assert/strict";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { getModel } from "../../lib/model/registry.ts";
import {
  describeFaces,
  DESCRIPTOR_BATCH,
  type DescriptorParams,
} from "../../lib/train/describe_faces.ts";
import { Rng } from "../../lib/util/rng.ts";
import { UserError } from "../../lib/util/errors.ts";

await selectBackend("wasm", { log: () => {} });

const SIZE = 64;
const rng = new Rng(5);
const COUNT = 90;
const faces = Uint8Array.from({ length: COUNT * SIZE * SIZE }, () => rng.nextInt(256));
// Not in order, with repeats: indices into the faces.
const images = Int32Array.from({ length: 2 * DESCRIPTOR_BATCH + 7 }, () => rng.nextInt(COUNT));

/** Random values for a model's encoder parameters (a proper mixture for Fisher vectors). */
function encoderValues(model: string): DescriptorParams {
  const spec = getModel(model);
  const params: DescriptorParams = new Map();
  for (const name of spec.fitted!.encoder?.params ?? []) {
    const shape = spec.params.find((p) => p.name === name)!.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, () => rng.uniform(0.2, 1));
    if (name.endsWith("weights")) values.fill(1 / size);
    params.set(name, { values, shape });
  }
  return params;
}

for (const name of ["lbp_jb", "fisher_jb"]) {
  Deno.test(`${name}: faces described by two or three workers equal those of one thread`, async () => {
    const model = getModel(name);
    const params = encoderValues(name);
    const one = await describeFaces(model, faces, SIZE, images, params, { workers: 1 });
    assert.equal(one.rows.length, images.length * one.features);
    assert.ok(one.rows.some((v) => v !== 0));
    // Three workers: shares of one batch each, the last a partial one; every batch's rows are
    // put in place as they arrive, in whatever order.
    for (const workers of [2, 3]) {
      const many = await describeFaces(model, faces, SIZE, images, params, { workers });
      assert.equal(many.features, one.features);
      assert.deepEqual(many.rows, one.rows, `${workers} workers`);
    }
  });
}

Deno.test("a describing worker's failure reaches the caller, a user's error as one", async () => {
  const model = { ...getModel("lbp_jb"), name: "no_such_model" };
  await assert.rejects(
    () => describeFaces(model, faces, SIZE, images, new Map(), { workers: 2 }),
    (error: Error) => error instanceof UserError && /no_such_model/.test(error.message),
  );
});

Deno.test("describing shows one step whose count reaches every face, from workers or one thread", async () => {
  for (const workers of [1, 2]) {
    const steps: { label: string; total: number; unit: string; done: number; finished: number }[] =
      [];
    const progress = (label: string, total: number, unit: string) => {
      const step = { label, total, unit, done: 0, finished: 0 };
      steps.push(step);
      return { advance: (n = 1) => void (step.done += n), finish: () => void step.finished++ };
    };
    await describeFaces(getModel("lbp_jb"), faces, SIZE, images, new Map(), { workers, progress });
    assert.deepEqual(steps, [{
      label: "describing faces",
      total: images.length,
      unit: "faces",
      done: images.length,
      finished: 1,
    }]);
  }
});
