import assert from "node:assert/strict";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import * as tf from "@tensorflow/tfjs";
import { fitLdaProjection } from "../../lib/train/fit_lda.ts";
import { mirroredFaces } from "../../lib/train/describe_faces.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

/**
 * Descriptors of `people` x `each` images in `features` dimensions: the person shows in the first
 * `IDENTITY` dimensions (spread 5 between people, 0.5 within), while pose-like nuisance varies by 4 in all
 * the others: the identity directions lead the PCA, but the nuisance dominates distances.
 */
const IDENTITY = 8;

function synthetic(people: number, each: number, features: number, seed: number) {
  const rng = new Rng(seed);
  const gauss = () => {
    const u = Math.max(rng.nextFloat(), 1e-12), v = rng.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const identity = Array.from({ length: people }, () => Array.from({ length: IDENTITY }, gauss));
  const rows = new Float32Array(people * each * features);
  const labels = new Int32Array(people * each);
  for (let p = 0; p < people; p++) {
    for (let k = 0; k < each; k++) {
      const i = p * each + k;
      labels[i] = p;
      for (let f = 0; f < features; f++) {
        rows[i * features + f] = f < IDENTITY ? 5 * identity[p][f] + 0.5 * gauss() : 4 * gauss();
      }
    }
  }
  return { rows, labels };
}

/** Share of images whose nearest other image (by cosine of `vectors`) is of the same person. */
function nearestSamePerson(vectors: Float32Array, dim: number, labels: Int32Array): number {
  const n = labels.length;
  const unit = Array.from({ length: n }, (_, i) => {
    const v = vectors.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...v) || 1;
    return Array.from(v, (x) => x / norm);
  });
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = -Infinity, who = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let c = 0;
      for (let k = 0; k < dim; k++) c += unit[i][k] * unit[j][k];
      if (c > best) best = c, who = j;
    }
    if (labels[who] === labels[i]) right++;
  }
  return right / n;
}

Deno.test("PCA + LDA finds the few directions that tell people apart among larger nuisance", async () => {
  await selectBackend("wasm", { log: () => {} });
  const features = 60;
  const { rows, labels } = synthetic(30, 6, features, 1);
  const { projection, offset } = fitLdaProjection(rows, features, labels, {
    components: 40,
    embedding: IDENTITY,
  });
  const k = IDENTITY;
  assert.equal(projection.length, features * k);
  assert.equal(offset.length, k);
  // Fresh images of the same people (the fit never saw them), projected: x P + b.
  const fresh = synthetic(30, 6, features, 1);
  const rng = new Rng(9);
  for (let i = 0; i < fresh.rows.length; i++) {
    fresh.rows[i] += i % features >= IDENTITY
      ? 4 * (rng.nextFloat() * 2 - 1)
      : 0.5 * (rng.nextFloat() - 0.5);
  }
  const project = (x: Float32Array) => {
    const n = x.length / features, out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = offset[c];
        for (let f = 0; f < features; f++) s += x[i * features + f] * projection[f * k + c];
        out[i * k + c] = s;
      }
    }
    return out;
  };
  const raw = nearestSamePerson(fresh.rows, features, fresh.labels);
  const projected = nearestSamePerson(project(fresh.rows), k, fresh.labels);
  assert.ok(raw < 0.5, `raw descriptors: ${raw}`);
  assert.ok(projected > 0.9, `projected: ${projected}`);
  // The offset centres the training descriptors: their projections average to zero.
  const mean = project(rows).reduce(
    (s, v, i) => (s[i % k] += v / labels.length, s),
    new Array(k).fill(0),
  );
  for (const m of mean) assert.ok(Math.abs(m) < 1e-3, `mean ${m}`);
});

Deno.test("too few images or people for the LDA are refused with a one-line reason", async () => {
  await selectBackend("wasm", { log: () => {} });
  const { rows, labels } = synthetic(3, 2, 10, 2);
  assert.throws(
    () => fitLdaProjection(rows, 10, labels, { components: 8, embedding: 8 }),
    (e: Error) =>
      e instanceof UserError &&
      /8 embedding dimensions need at least 9 training images/.test(e.message),
  );
  assert.throws(
    () =>
      fitLdaProjection(rows, 10, Int32Array.from(labels, (_, i) => i), {
        components: 4,
        embedding: 2,
      }),
    (e: Error) =>
      e instanceof UserError && /fewer than two training people have two images/.test(e.message),
  );
});

Deno.test("fewer images than descriptor values: the PCA stays within the data's rank (finite, working projection)", async () => {
  await selectBackend("wasm", { log: () => {} });
  const features = 5782, n = 250;
  const rng = new Rng(6);
  const rows = Float32Array.from({ length: n * features }, () => rng.nextFloat());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 50);
  const { projection, offset } = fitLdaProjection(rows, features, labels, {
    components: 400,
    embedding: 100,
  });
  assert.ok(projection.every(Number.isFinite) && offset.every(Number.isFinite));
  assert.ok(projection.some((v) => v !== 0));
});

Deno.test("the PCA's data given to the backend in blocks of rows: the same fit as at once, no tensor left behind", async () => {
  await selectBackend("wasm", { log: () => {} });
  // More rows than half the features (the covariance is formed), then fewer (through the data).
  for (const [people, features, blockRows] of [[60, 40, 70], [14, 150, 16]]) {
    const { rows, labels } = synthetic(people, 5, features, 4);
    const options = { components: 24, embedding: 8 };
    const before = tf.memory().numTensors;
    const whole = fitLdaProjection(rows, features, labels, { ...options, blockRows: 10_000 });
    // The last block is shorter than the others.
    const blocks = fitLdaProjection(rows, features, labels, { ...options, blockRows });
    assert.equal(tf.memory().numTensors, before);
    // The same directions up to sign, each column compared as a whole.
    for (let c = 0; c < options.embedding; c++) {
      const column = (p: Float32Array) => Array.from({ length: features }, (_, r) => p[r * 8 + c]);
      const a = column(whole.projection), b = column(blocks.projection);
      const dot = a.reduce((s, v, i) => s + v * b[i], 0);
      const cosine = Math.abs(dot) / (Math.hypot(...a) * Math.hypot(...b));
      assert.ok(cosine > 0.9999, `${features} features, direction ${c}: cosine ${cosine}`);
    }
  }
});

Deno.test("mirroredFaces: the chosen faces, each reversed left to right, in order", () => {
  // Two 2x2 faces: [1 2; 3 4] and [5 6; 7 8].
  const faces = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  assert.deepEqual([...mirroredFaces(faces, 2, [1, 0])], [6, 5, 8, 7, 2, 1, 4, 3]);
});
