/**
 * The original project's pair sampler, stratified by person: a same-person pair picks a person,
 * then two of that person's images; a different-person pair picks two people, then one image of
 * each. Exactly half the pairs are same-person pairs, no image is paired with itself, and
 * (a, b) and (b, a) count as one pair.
 * @module
 */
import { UserError } from "../util/errors.ts";
import type { Rng } from "../util/rng.ts";

/** A pair of images (indices into the prepared face array) and whether they show one person. */
export interface Pair {
  a: number;
  b: number;
  same: boolean;
}

/** Images grouped by person: each inner array holds one person's image indices. */
export type PersonGroups = number[][];

/** Groups image indices by person, keeping people in first-seen order. */
export function groupByPerson(
  images: readonly number[],
  personOf: (image: number) => string,
): PersonGroups {
  const groups = new Map<string, number[]>();
  for (const image of images) {
    const person = personOf(image);
    let group = groups.get(person);
    if (!group) groups.set(person, group = []);
    group.push(image);
  }
  return [...groups.values()];
}

/** How many distinct same-person and different-person pairs a pool allows. */
export function pairCapacity(groups: PersonGroups): { same: number; different: number } {
  let images = 0;
  let same = 0;
  for (const g of groups) {
    images += g.length;
    same += (g.length * (g.length - 1)) / 2;
  }
  return { same, different: (images * (images - 1)) / 2 - same };
}

/** Options of {@linkcode samplePairs}. */
export interface SamplePairsOptions {
  /** Pairs to draw: even, half same-person. */
  count: number;
  /** The generator to draw with. */
  rng: Rng;
  /** Name of the set, for error messages ("validation", "training"...). */
  setName?: string;
}

/**
 * Draws `options.count` distinct pairs (half same-person, half different-person) from `groups`.
 * Throws a UserError when `count` is odd or more pairs are asked for than can exist.
 */
export function samplePairs(groups: PersonGroups, options: SamplePairsOptions): Pair[] {
  const { count, rng } = options;
  const setName = options.setName ?? "pair";
  if (!Number.isInteger(count) || count < 0 || count % 2 !== 0) {
    throw new UserError(`${setName} pairs must be an even number >= 0, got ${count}`);
  }
  if (count === 0) return [];
  const half = count / 2;
  const capacity = pairCapacity(groups);
  const images = groups.reduce((n, g) => n + g.length, 0);
  if (half > capacity.same || half > capacity.different) {
    throw new UserError(
      `cannot draw ${count} ${setName} pairs from ${images} images of ${groups.length} people: ` +
        `at most ${capacity.same} same-person and ${capacity.different} different-person pairs exist`,
    );
  }
  const seen = new Set<string>();
  const pairs: Pair[] = [];
  const add = (a: number, b: number, same: boolean): boolean => {
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (seen.has(key)) return false;
    seen.add(key);
    pairs.push({ a, b, same });
    return true;
  };

  // Same-person pairs: a person whose pairs are all used leaves the candidates, so the loop
  // always ends.
  const candidates = groups.filter((g) => g.length >= 2);
  const used = new Map<number[], number>();
  for (let made = 0; made < half;) {
    const slot = rng.nextInt(candidates.length);
    const group = candidates[slot];
    const i = rng.nextInt(group.length);
    let j = rng.nextInt(group.length - 1);
    if (j >= i) j++;
    if (add(group[i], group[j], true)) {
      made++;
      const n = (used.get(group) ?? 0) + 1;
      used.set(group, n);
      if (n === (group.length * (group.length - 1)) / 2) {
        candidates[slot] = candidates[candidates.length - 1];
        candidates.pop();
      }
    }
  }

  // Different-person pairs: capacity was checked; the attempt cap only guards against a pool so
  // lopsided that stratified draws keep hitting the few used person pairs.
  const maxAttempts = 100 * half + 100_000;
  let attempts = 0;
  for (let made = 0; made < half;) {
    if (++attempts > maxAttempts) {
      throw new UserError(
        `could not find ${half} distinct different-person ${setName} pairs in ${maxAttempts} ` +
          `draws from ${groups.length} people; ask for fewer pairs`,
      );
    }
    const p = rng.nextInt(groups.length);
    let q = rng.nextInt(groups.length - 1);
    if (q >= p) q++;
    const a = groups[p][rng.nextInt(groups[p].length)];
    const b = groups[q][rng.nextInt(groups[q].length)];
    if (add(a, b, false)) made++;
  }
  return rng.shuffle(pairs);
}

/** The distinct images used by a list of pairs. */
export function imagesOf(pairs: readonly Pair[]): Set<number> {
  const set = new Set<number>();
  for (const p of pairs) {
    set.add(p.a);
    set.add(p.b);
  }
  return set;
}
