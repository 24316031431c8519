/**
 * Golden values of the seeded streams every result depends on. A change to the generator, the
 * pair sampler or the identity partners shifts every split and every training run; it must
 * fail here, on purpose, rather than pass unnoticed (then update the values and say so in the
 * commit).
 */
import assert from "node:assert/strict";
import { Rng } from "../../lib/util/rng.ts";
import { samplePairs } from "../../lib/data/sample_pairs.ts";
import { identityPairs } from "../../lib/data/identity_pairs.ts";

Deno.test("golden: the seeded generator's first draws", () => {
  const rng = new Rng(42);
  assert.deepEqual(
    [rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextInt(1000)],
    [1028872839, 2516511472, 400437680, 530],
  );
  assert.equal(rng.nextFloat(), 0.44710162095725536);
  assert.ok(Math.abs(rng.normal() - 1.1033399427067505) < 1e-12);
  const derived = Rng.derive(7, 1, 2);
  assert.deepEqual([derived.nextUint32(), derived.nextUint32()], [2921316316, 409919670]);
  assert.deepEqual(derived.shuffle([0, 1, 2, 3, 4, 5, 6, 7]), [5, 3, 1, 6, 4, 7, 2, 0]);
});

Deno.test("golden: the pair sampler draws the same pairs for a seed", () => {
  const groups = [[0, 1, 2], [3, 4], [5], [6, 7, 8, 9], [10, 11]];
  assert.deepEqual(samplePairs(groups, { count: 8, rng: new Rng(3) }), [
    { a: 10, b: 11, same: true },
    { a: 5, b: 0, same: false },
    { a: 0, b: 1, same: true },
    { a: 5, b: 7, same: false },
    { a: 3, b: 1, same: false },
    { a: 2, b: 1, same: true },
    { a: 7, b: 8, same: true },
    { a: 7, b: 10, same: false },
  ]);
});

Deno.test("golden: identity training pairs (partners, classes, people left out)", () => {
  const people = ["a", "a", "a", "b", "b", "c", "d", "d", "d", "d", "e", "e"];
  const ids = identityPairs([...people.keys()], (i) => people[i], { minImages: 2, seed: 5 });
  assert.equal(ids.classes, 4);
  assert.equal(ids.skippedImages, 1);
  assert.deepEqual(Array.from(ids.columns.a), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(Array.from(ids.columns.b), [2, 0, 1, 4, 3, 7, 6, 6, 6, 11, 10]);
  assert.deepEqual(Array.from(ids.columns.classes!), [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3]);
});
