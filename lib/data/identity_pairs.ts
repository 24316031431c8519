/**
 * Training data of identity objectives: every training image of a person with at least
 * `minImages` training images, paired with another image of the same person, labelled with the
 * person's class number. Pairs keep the training step's two-sided layout (one image per side,
 * one thread per side), and each batch holds two images of each of its people.
 *
 * @example
 * ```ts
 * const { columns, classes } = identityPairs(trainImages, (i) => entries[i].person, {
 *   minImages: 2,
 *   seed: 42,
 * });
 * ```
 * @module
 */
import { Rng } from "../util/rng.ts";
import { UserError } from "../util/errors.ts";
import { type PairColumns, STREAMS } from "../train/pair_batches.ts";

/** Identity training pairs and the people they teach. */
export interface IdentityPairs {
  columns: PairColumns;
  /** Number of classes (people). */
  classes: number;
  /** Images left out because their person has fewer than `minImages` training images. */
  skippedImages: number;
}

/** Builds identity pairs from the images a model may train on (see the module doc). */
export function identityPairs(
  trainImages: ArrayLike<number>,
  personOf: (image: number) => string,
  options: { minImages: number; seed: number },
): IdentityPairs {
  const byPerson = new Map<string, number[]>();
  for (const image of Array.from(trainImages)) {
    const person = personOf(image);
    let list = byPerson.get(person);
    if (!list) byPerson.set(person, list = []);
    list.push(image);
  }
  const people = [...byPerson.keys()].sort().filter((p) =>
    byPerson.get(p)!.length >= options.minImages
  );
  if (people.length < 2) {
    throw new UserError(
      `--min-images-per-person ${options.minImages}: only ${people.length} training people have that many images`,
    );
  }
  const rng = Rng.derive(options.seed, STREAMS.identityPartners);
  const a: number[] = [], b: number[] = [], classes: number[] = [];
  let used = 0;
  people.forEach((person, c) => {
    const images = byPerson.get(person)!;
    used += images.length;
    for (let k = 0; k < images.length; k++) {
      // A partner other than the image itself where the person has one (a lone image is paired
      // with itself: augmentation makes the two views differ).
      const other = images.length > 1
        ? (k + 1 + rng.nextInt(images.length - 1)) % images.length
        : k;
      a.push(images[k]);
      b.push(images[other]);
      classes.push(c);
    }
  });
  return {
    columns: {
      a: Int32Array.from(a),
      b: Int32Array.from(b),
      same: new Uint8Array(a.length).fill(1),
      classes: Int32Array.from(classes),
    },
    classes: people.length,
    skippedImages: trainImages.length - used,
  };
}
