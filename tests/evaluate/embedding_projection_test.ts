import assert from "node:assert/strict";
import { fitWccn, project, projectedCosine } from "../../lib/evaluate/embedding_projection.ts";
import { Rng } from "../../lib/util/rng.ts";

Deno.test("WCCN shrinks the directions one person varies in: same-person cosines rise", () => {
  // 40 people in 6 dimensions; each person's images vary strongly along axis 0 only.
  const dim = 6, rng = new Rng(9);
  const rows: number[][] = [], people: number[] = [];
  for (let p = 0; p < 40; p++) {
    const centre = Array.from({ length: dim }, () => rng.normal());
    for (let k = 0; k < 4; k++) {
      rows.push(centre.map((c, d) => c + (d === 0 ? 3 * rng.normal() : 0.05 * rng.normal())));
      people.push(p);
    }
  }
  const embeddings = Float32Array.from(rows.flat());
  const wccn = fitWccn(embeddings, people, dim, { lambda: 1e-3 });
  assert.equal(wccn.people, 40);
  assert.equal(wccn.images, 160);
  const row = (i: number) => embeddings.subarray(i * dim, (i + 1) * dim);
  const plainCos = (a: Float32Array, b: Float32Array) => {
    let ab = 0, aa = 0, bb = 0;
    for (let k = 0; k < dim; k++) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    return ab / Math.sqrt(aa * bb);
  };
  let samePlain = 0, sameProjected = 0, pairs = 0;
  for (let p = 0; p < 40; p++) {
    samePlain += plainCos(row(4 * p), row(4 * p + 1));
    sameProjected += projectedCosine(wccn, row(4 * p), row(4 * p + 1));
    pairs++;
  }
  assert.ok(
    sameProjected / pairs > samePlain / pairs + 0.1,
    `${sameProjected / pairs} vs ${samePlain / pairs}`,
  );
  // Projections have unit length.
  const v = project(wccn, row(0));
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-9);
});
