import assert from "node:assert/strict";
import { groupByPerson, imagesOf, pairCapacity, samplePairs } from "../../lib/data/sample_pairs.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";
import { lfwEntries } from "../helpers/fixtures.ts";
import { needs } from "../helpers/tiers.ts";

// Every test here reads LFW: the basic tier (no LFW copy) ignores them all.
const onLfw = !needs("lfw");
const entries = onLfw ? lfwEntries() : [];
const groups = groupByPerson([...entries.keys()], (i) => entries[i].person);

Deno.test("on LFW: exact halves, right labels, no self-pairs, no repeated pair in either order", { ignore: !onLfw }, () => {
  const pairs = samplePairs(groups, { count: 4000, rng: new Rng(1) });
  assert.equal(pairs.length, 4000);
  assert.equal(pairs.filter((p) => p.same).length, 2000);
  const keys = new Set<string>();
  for (const p of pairs) {
    assert.notEqual(p.a, p.b);
    assert.equal(p.same, entries[p.a].person === entries[p.b].person);
    const key = p.a < p.b ? `${p.a},${p.b}` : `${p.b},${p.a}`;
    assert.ok(!keys.has(key), `pair ${key} drawn twice`);
    keys.add(key);
  }
});

Deno.test("on LFW: same pairs are stratified by person, not by image", { ignore: !onLfw }, () => {
  // George_W_Bush has 530 of 13,233 images (4%) but is one of ~1,680 people with 2+ images.
  const pairs = samplePairs(groups, { count: 4000, rng: new Rng(2) });
  const bush = pairs.filter((p) => p.same && entries[p.a].person === "George_W_Bush").length;
  assert.ok(bush < 20, `${bush} George_W_Bush pairs out of 2000`);
});

Deno.test("deterministic for a seed, different for another", { ignore: !onLfw }, () => {
  const a = samplePairs(groups, { count: 200, rng: new Rng(5) });
  assert.deepEqual(samplePairs(groups, { count: 200, rng: new Rng(5) }), a);
  assert.notDeepEqual(samplePairs(groups, { count: 200, rng: new Rng(6) }), a);
});

Deno.test("asking for more pairs than exist is a clear error, and exhausting a pool terminates", { ignore: !onLfw }, () => {
  const small = [[0, 1, 2], [3, 4], [5]];
  assert.deepEqual(pairCapacity(small), { same: 4, different: 11 });
  const all = samplePairs(small, { count: 8, rng: new Rng(1) });
  assert.equal(all.filter((p) => p.same).length, 4);
  assert.equal(imagesOf(all).size, 6);
  assert.throws(
    () => samplePairs(small, { count: 10, rng: new Rng(1) }),
    (e: Error) => e instanceof UserError && /at most 4 same-person/.test(e.message),
  );
  assert.throws(() => samplePairs(small, { count: 3, rng: new Rng(1) }), /even/);
  assert.deepEqual(samplePairs(small, { count: 0, rng: new Rng(1) }), []);
});
