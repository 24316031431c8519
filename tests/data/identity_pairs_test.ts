import assert from "node:assert/strict";
import { identityPairs } from "../../lib/data/identity_pairs.ts";

const people = ["ann", "ann", "bob", "cy", "cy", "cy", "dee"];
const personOf = (i: number) => people[i];

Deno.test("identity pairs: each image once, partnered within its person, labelled by class", () => {
  const { columns, classes, skippedImages } = identityPairs([0, 1, 2, 3, 4, 5, 6], personOf, {
    minImages: 2,
    seed: 1,
  });
  assert.equal(classes, 2); // ann, cy
  assert.equal(skippedImages, 2); // bob, dee
  assert.deepEqual([...columns.a], [0, 1, 3, 4, 5]);
  for (let k = 0; k < columns.a.length; k++) {
    assert.equal(personOf(columns.a[k]), personOf(columns.b[k]));
    assert.notEqual(columns.a[k], columns.b[k]);
  }
  assert.deepEqual([...columns.classes!], [0, 0, 1, 1, 1]);
  assert.deepEqual(
    identityPairs([0, 1, 2, 3, 4, 5, 6], personOf, { minImages: 2, seed: 1 }).columns,
    columns,
  );
});

Deno.test("identity pairs: lone images pair with themselves when allowed; too few people is an error", () => {
  const { columns, classes } = identityPairs([2, 6, 0, 1], personOf, { minImages: 1, seed: 1 });
  assert.equal(classes, 3);
  assert.deepEqual([...columns.a].sort(), [0, 1, 2, 6]);
  const bob = [...columns.a].indexOf(2);
  assert.equal(columns.b[bob], 2);
  assert.throws(
    () => identityPairs([0, 1, 2], personOf, { minImages: 2, seed: 1 }),
    /--min-images-per-person 2: only 1 training people/,
  );
});
