import assert from "node:assert/strict";
import { fitLda, ldaTransform } from "../../lib/fit/lda.ts";
import { UserError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("LDA: the discriminant direction is the one that separates people relative to how each varies (two dimensions, by hand)", () => {
  // People differ along x (means -2, 0, 2); each person's images vary along y (spread 3) and a
  // little along x. LDA must keep x, which the within-person spread does not swamp.
  const rng = new Rng(4);
  const rows: number[] = [], people: number[] = [];
  for (let p = 0; p < 3; p++) {
    for (let k = 0; k < 30; k++) {
      rows.push(2 * (p - 1) + 0.3 * rng.normal(), 3 * rng.normal());
      people.push(p);
    }
  }
  const lda = fitLda(Float32Array.from(rows), 2, people, { embedding: 1 });
  const [dx, dy] = lda.directions;
  assert.ok(Math.abs(dy / dx) < 0.1, `direction (${dx}, ${dy}) is along x`);
  assert.equal(lda.people, 3);
  // Projected, people are far apart relative to their own spread.
  const z = ldaTransform(lda, Float32Array.from(rows));
  const mean = (p: number) => z.slice(p * 30, p * 30 + 30).reduce((s, v) => s + v, 0) / 30;
  const within = Math.sqrt(
    z.reduce((s, v, i) => s + (v - mean(Math.floor(i / 30))) ** 2, 0) / z.length,
  );
  assert.ok(Math.abs(mean(2) - mean(0)) > 8 * within, `${mean(0)}, ${mean(2)}, within ${within}`);
  assert.ok(lda.separations[0] > 0);
});

Deno.test("LDA refuses what it cannot fit: more directions than inputs, fewer than two people with two images", () => {
  const rows = Float32Array.from({ length: 20 }, (_, i) => i % 7);
  assert.throws(() => fitLda(rows, 2, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], { embedding: 3 }), UserError);
  assert.throws(
    () => fitLda(rows, 2, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8], { embedding: 1 }),
    /fewer than two training people/,
  );
});
