/**
 * The "dataset skew" statistics the report plots: how many people have 1, 2, 3-5, ... images,
 * over the whole data set and within each set of pairs.
 * @module
 */
import type { FaceEntry } from "./face_array.ts";
import type { Pair } from "./sample_pairs.ts";

/** The image-count buckets, as [label, min, max]. */
export const IMAGE_COUNT_BUCKETS: readonly [string, number, number][] = [
  ["1", 1, 1],
  ["2", 2, 2],
  ["3-5", 3, 5],
  ["6-10", 6, 10],
  ["11-25", 11, 25],
  ["26-75", 26, 75],
  ["76-200", 76, 200],
  [">=201", 201, Infinity],
];

/** People per image-count bucket. */
export type BucketCounts = Record<string, number>;

/** Statistics of one set of pairs. */
export interface SetStats {
  pairs: number;
  same: number;
  different: number;
  images: number;
  people: number;
  /** People per bucket of how many distinct images of them the set uses. */
  peoplePerBucket: BucketCounts;
  /** The people with most images in the set (at most 20). */
  topPeople: { person: string; images: number }[];
}

/** Statistics of a split. */
export interface SplitStats {
  dataset: { images: number; people: number; peoplePerBucket: BucketCounts };
  sets: Record<string, SetStats>;
}

/** Counts people per image-count bucket, given each person's image count. */
export function bucketCounts(imagesPerPerson: Iterable<number>): BucketCounts {
  const counts: BucketCounts = Object.fromEntries(IMAGE_COUNT_BUCKETS.map(([label]) => [label, 0]));
  for (const n of imagesPerPerson) {
    const bucket = IMAGE_COUNT_BUCKETS.find(([, min, max]) => n >= min && n <= max);
    if (bucket) counts[bucket[0]]++;
  }
  return counts;
}

function perPerson(entries: readonly FaceEntry[], images: Iterable<number>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of images) counts.set(entries[i].person, (counts.get(entries[i].person) ?? 0) + 1);
  return counts;
}

/** Computes the statistics of a split over the prepared faces `entries`. */
export function splitStats(
  entries: readonly FaceEntry[],
  sets: Record<string, readonly Pair[]>,
): SplitStats {
  const all = perPerson(entries, entries.keys());
  const out: SplitStats = {
    dataset: {
      images: entries.length,
      people: all.size,
      peoplePerBucket: bucketCounts(all.values()),
    },
    sets: {},
  };
  for (const [name, pairs] of Object.entries(sets)) {
    const images = new Set<number>();
    let same = 0;
    for (const p of pairs) {
      images.add(p.a);
      images.add(p.b);
      if (p.same) same++;
    }
    const people = perPerson(entries, images);
    out.sets[name] = {
      pairs: pairs.length,
      same,
      different: pairs.length - same,
      images: images.size,
      people: people.size,
      peoplePerBucket: bucketCounts(people.values()),
      topPeople: [...people.entries()]
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
        .slice(0, 20)
        .map(([person, n]) => ({ person, images: n })),
    };
  }
  return out;
}
