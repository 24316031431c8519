import assert from "node:assert/strict";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("Rng is deterministic per seed and differs between seeds", () => {
  const draw = (seed: number) => Array.from({ length: 5 }, () => new Rng(seed).nextUint32());
  assert.deepEqual(draw(1), draw(1));
  const a = new Rng(1), b = new Rng(2);
  assert.notDeepEqual([a.nextUint32(), a.nextUint32()], [b.nextUint32(), b.nextUint32()]);
});

Deno.test("Rng state restores the exact sequence", () => {
  const rng = new Rng(7);
  for (let i = 0; i < 10; i++) rng.normal();
  const copy = new Rng(rng.state());
  for (let i = 0; i < 100; i++) assert.equal(copy.normal(), rng.normal());
});

Deno.test("nextInt stays in range and covers it; shuffle is a permutation", () => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const v = rng.nextInt(7);
    assert.ok(v >= 0 && v < 7 && Number.isInteger(v));
    seen.add(v);
  }
  assert.equal(seen.size, 7);
  const items = [...Array(50).keys()];
  const shuffled = rng.shuffle([...items]);
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
  assert.throws(() => rng.nextInt(0));
});

Deno.test("normal deviates have mean ~0 and variance ~1", () => {
  const rng = new Rng(11);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
});
