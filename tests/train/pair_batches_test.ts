import assert from "node:assert/strict";
import { AUGMENT_DEFAULTS } from "../../lib/augment/affine_augmenter.ts";
import { BatchPrefetcher } from "../../lib/train/batch_prefetcher.ts";
import {
  batchCount,
  type BatchSourceInput,
  epochOrder,
  makeBatch,
  pairColumns,
} from "../../lib/train/pair_batches.ts";
import { noiseImage } from "../helpers/fixtures.ts";

const SIZE = 8;
const faces = new Uint8Array(6 * SIZE * SIZE);
for (let i = 0; i < 6; i++) faces.set(noiseImage(SIZE, SIZE, 1, i + 1), i * SIZE * SIZE);
const pairs = pairColumns([
  { a: 0, b: 1, same: true },
  { a: 2, b: 3, same: false },
  { a: 4, b: 5, same: true },
  { a: 1, b: 4, same: false },
  { a: 0, b: 5, same: false },
]);
const plain: BatchSourceInput = { faces, size: SIZE, pairs, batchSize: 2, seed: 9, augment: null };

Deno.test("epoch orders are permutations, reproducible per epoch and different across epochs", () => {
  const order = epochOrder(100, 1, 3);
  assert.deepEqual([...order].sort((a, b) => a - b), [...Array(100).keys()]);
  assert.deepEqual(epochOrder(100, 1, 3), order);
  assert.notDeepEqual(epochOrder(100, 1, 4), order);
  assert.equal(batchCount(5, 2), 3);
});

Deno.test("without augmentation, batches hold the pairs in order, scaled to [0, 1]", () => {
  const last = makeBatch(plain, { epoch: 0, index: 2 });
  assert.equal(last.count, 1);
  assert.deepEqual([...last.labels], [0]);
  assert.ok(Math.abs(last.left[5] - faces[0 * 64 + 5] / 255) < 1e-7);
  assert.ok(Math.abs(last.right[5] - faces[5 * 64 + 5] / 255) < 1e-7);
});

Deno.test("augmented batches are reproducible per (epoch, batch) and vary between them", () => {
  const input = { ...plain, augment: AUGMENT_DEFAULTS };
  const order = epochOrder(5, 9, 1);
  const a = makeBatch(input, { order, epoch: 1, index: 0 });
  assert.deepEqual(makeBatch(input, { order, epoch: 1, index: 0 }), a);
  assert.notDeepEqual(makeBatch(input, { order, epoch: 2, index: 0 }).left, a.left);
  assert.ok(a.left.every((v) => v >= 0 && v <= 1));
});

Deno.test("the prefetching worker returns exactly the batches built in place", async () => {
  const input = { ...plain, augment: AUGMENT_DEFAULTS };
  const prefetcher = new BatchPrefetcher(input);
  try {
    const order = epochOrder(5, 9, 2);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        await prefetcher.get(2, i, 3),
        makeBatch(input, { order, epoch: 2, index: i }),
      );
    }
  } finally {
    prefetcher.close();
  }
});
