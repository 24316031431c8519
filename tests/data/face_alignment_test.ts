import assert from "node:assert/strict";
import {
  alignFace,
  applySimilarity,
  fitSimilarity,
  invertSimilarity,
  type Point,
  type Similarity,
} from "../../lib/data/face_alignment.ts";
import { FACE_BOXES } from "../../lib/config/defaults.ts";
import { LFW_ORIGINAL_LANDMARKS } from "../../lib/config/canonical_landmarks.ts";
import type { RawImage } from "../../lib/data/resample.ts";

const canonical = LFW_ORIGINAL_LANDMARKS.points;

Deno.test("fitSimilarity recovers a rotation, scale and shift exactly, and invertSimilarity undoes it", () => {
  const angle = (17 * Math.PI) / 180, scale = 1.7;
  const s: Similarity = {
    a: scale * Math.cos(angle),
    b: scale * Math.sin(angle),
    tx: 31.5,
    ty: -12.25,
  };
  const moved = canonical.map((p) => applySimilarity(s, p));
  const fitted = fitSimilarity(canonical, moved);
  for (const key of ["a", "b", "tx", "ty"] as const) {
    assert.ok(Math.abs(fitted[key] - s[key]) < 1e-9, `${key}: ${fitted[key]} vs ${s[key]}`);
  }
  const back = invertSimilarity(fitted);
  moved.forEach((p, i) => {
    const q = applySimilarity(back, p);
    assert.ok(Math.hypot(q[0] - canonical[i][0], q[1] - canonical[i][1]) < 1e-9);
  });
  assert.throws(() => fitSimilarity([[1, 1], [1, 1]], [[0, 0], [1, 1]]), /coincide/);
});

/** A smooth test pattern (rings and a gradient, no face) drawn through `toImage` (frame -> image). */
function pattern(width: number, height: number, toFrame: Similarity): RawImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = applySimilarity(toFrame, [x + 0.5, y + 0.5]);
      const r = Math.hypot(u - 125, v - 130);
      const o = (y * width + x) * 3;
      pixels[o] = 128 + 100 * Math.sin(r / 6);
      pixels[o + 1] = Math.max(0, Math.min(255, u));
      pixels[o + 2] = Math.max(0, Math.min(255, v + 40 * Math.cos(u / 9)));
    }
  }
  return { width, height, channels: 3, pixels };
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) =>
  a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

Deno.test("a face moved, scaled and rotated in the photo lands in the same crop once aligned by its landmarks", () => {
  const prepare = {
    box: [...FACE_BOXES.face100] as [number, number, number, number],
    size: 64,
    grey: true,
  };
  // The reference: the pattern in the 250x250 frame itself, its landmarks where the canonical
  // ones are: the crop is the model's box of the frame.
  const identity: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
  const reference = alignFace(pattern(250, 250, identity), canonical, canonical, prepare);
  assert.ok(reference.residual < 1e-9);
  assert.ok(Math.abs(reference.rotation) < 1e-9 && Math.abs(reference.width - 100) < 1e-9);
  const cases: {
    name: string;
    width: number;
    height: number;
    angle: number;
    scale: number;
    at: Point;
  }[] = [
    {
      name: "off-centre in a larger canvas",
      width: 700,
      height: 420,
      angle: 0,
      scale: 1,
      at: [520, 150],
    },
    { name: "zoomed in 2.6x", width: 800, height: 800, angle: 0, scale: 2.6, at: [400, 380] },
    { name: "shrunk to 0.45", width: 300, height: 200, angle: 0, scale: 0.45, at: [80, 120] },
    { name: "rotated 20 degrees", width: 400, height: 400, angle: 20, scale: 1.2, at: [200, 210] },
    {
      name: "rotated -10 degrees, portrait",
      width: 300,
      height: 540,
      angle: -10,
      scale: 0.9,
      at: [150, 200],
    },
  ];
  for (const c of cases) {
    // frame -> photo: rotate and scale about the frame's centre, then put that centre at `at`.
    const t = (c.angle * Math.PI) / 180;
    const a = c.scale * Math.cos(t), b = c.scale * Math.sin(t);
    const toPhoto: Similarity = {
      a,
      b,
      tx: c.at[0] - (a * 125 - b * 125),
      ty: c.at[1] - (b * 125 + a * 125),
    };
    const photo = pattern(c.width, c.height, invertSimilarity(toPhoto));
    const landmarks = canonical.map((p) => applySimilarity(toPhoto, p));
    const aligned = alignFace(photo, landmarks, canonical, prepare);
    const diff = meanAbsDiff(aligned.face, reference.face);
    assert.ok(diff < 3, `${c.name}: the aligned crop differs by ${diff.toFixed(2)} grey levels`);
    assert.ok(
      Math.abs(aligned.rotation - c.angle) < 1e-6,
      `${c.name}: rotation ${aligned.rotation}`,
    );
    assert.ok(Math.abs(aligned.width - 100 * c.scale) < 1e-6, `${c.name}: width ${aligned.width}`);
    const centre = applySimilarity(toPhoto, [125, 134]);
    assert.ok(Math.hypot(aligned.centre[0] - centre[0], aligned.centre[1] - centre[1]) < 1e-6);
    assert.equal(aligned.outside, 0, c.name);
  }
});

Deno.test("alignment fits noisy landmarks in the least-squares sense and reports its residual and the crop beyond the edge", () => {
  const prepare = {
    box: [...FACE_BOXES.lfwcrop] as [number, number, number, number],
    size: 32,
    grey: true,
  };
  const photo = pattern(120, 120, { a: 1, b: 0, tx: 0, ty: 0 });
  const noisy = canonical.map(([x, y], i): Point => [x - 70 + (i % 2 ? 1 : -1), y - 70]);
  const aligned = alignFace(photo, noisy, canonical, prepare);
  assert.ok(aligned.residual > 0.5 && aligned.residual < 1.5, `residual ${aligned.residual}`);
  // The face sits in the photo's top-left corner: part of the crop lies beyond the photo.
  const cornered = alignFace(
    photo,
    canonical.map(([x, y]): Point => [x - 125, y - 125]),
    canonical,
    prepare,
  );
  assert.ok(cornered.outside > 0.1, `outside ${cornered.outside}`);
  assert.equal(cornered.face.length, 32 * 32);
});
