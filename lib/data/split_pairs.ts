/**
 * Building the training, validation and test sets of pairs for each protocol:
 * - `seed`: the original project's sampler on the whole data set (validation first, then
 *   training from images not in validation, then test from images in neither);
 * - `lfw-view1` / `lfw-view2`: the official test pairs, with training and validation drawn by
 *   the same sampler from the official training people only; validation pairs come from a
 *   seeded share of those people that is held out of training (person-disjoint), so model
 *   selection and thresholds never see a person the model trained on.
 * @module
 */
import type { SplitParams } from "../config/defaults.ts";
import { Rng } from "../util/rng.ts";
import { UserError } from "../util/errors.ts";
import type { FaceEntry } from "./face_array.ts";
import { faceId } from "./face_file_name.ts";
import type { ProtocolPair } from "./lfw_protocol.ts";
import { groupByPerson, imagesOf, type Pair, samplePairs } from "./sample_pairs.ts";

/** The generator stream that picks the held-out validation people. */
const HELD_OUT_PEOPLE_STREAM = 101;

/** The sets of a split (a type alias, so it can be used as a record of sets). */
export type PairSets = {
  train: Pair[];
  val: Pair[];
  test: Pair[];
};

/** What an official protocol contributes to a split. */
export interface ProtocolSets {
  /** The official test pairs. */
  testPairs: ProtocolPair[];
  /** The people training and validation pairs may be drawn from. */
  trainPeople: Set<string>;
}

/** Who is in which part of a split (sorted names). */
export interface SplitPeople {
  /** People whose images the model may train on. */
  train: string[];
  /** People of the validation pairs. */
  val: string[];
  /** People of the test pairs. */
  test: string[];
}

/** A split and the protocol pairs that had to be dropped (their images are missing). */
export interface SplitResult {
  sets: PairSets;
  /**
   * The images a model may train on, sorted: every image of the training people for the
   * official protocols, the images of the training pairs for `seed` (whose test images are
   * drawn from the rest). Objectives that learn from single images use exactly these.
   */
  trainImages: number[];
  people: SplitPeople;
  dropped: { pair: string; reason: string }[];
}

/** Draws the split of `entries` for `params`; official protocols need `protocol`. */
export function splitPairs(
  entries: readonly FaceEntry[],
  params: SplitParams,
  options: { protocol?: ProtocolSets } = {},
): SplitResult {
  const { protocol } = options;
  const rng = new Rng(params.seed);
  const personOf = (i: number) => entries[i].person;
  const dropped: SplitResult["dropped"] = [];
  let pool = [...entries.keys()];
  let test: Pair[] = [];
  if (params.protocol !== "seed") {
    if (!protocol) throw new Error(`protocol ${params.protocol} needs its protocol files`);
    const indexOf = new Map(entries.map((e, i) => [faceId(e.person, e.number), i]));
    for (const p of protocol.testPairs) {
      const ids = [faceId(p.a.person, p.a.number), faceId(p.b.person, p.b.number)];
      const [a, b] = ids.map((id) => indexOf.get(id));
      if (a === undefined || b === undefined) {
        const missing = ids.filter((id) => !indexOf.has(id)).join(", ");
        dropped.push({ pair: ids.join(" "), reason: `missing image ${missing}` });
        continue;
      }
      test.push({ a, b, same: p.same });
    }
    pool = pool.filter((i) => protocol.trainPeople.has(entries[i].person));
    if (pool.length === 0) {
      throw new UserError(`no prepared image belongs to the protocol's training people`);
    }
  }
  let valPool = pool;
  if (params.protocol !== "seed") {
    // Hold out a seeded share of the training people (their own generator, so the held-out
    // people do not depend on the pair counts) and draw validation from them alone.
    const people = [...new Set(pool.map(personOf))].sort();
    const heldOut = new Set(
      Rng.derive(params.seed, HELD_OUT_PEOPLE_STREAM).shuffle(people).slice(
        0,
        Math.round(people.length * params.valPeopleShare),
      ),
    );
    valPool = pool.filter((i) => heldOut.has(personOf(i)));
    pool = pool.filter((i) => !heldOut.has(personOf(i)));
    if (valPool.length === 0 && params.valPairs > 0) {
      throw new UserError(
        `--val-people-share ${params.valPeopleShare}: no training person is held out for validation`,
      );
    }
  }
  const val = samplePairs(groupByPerson(valPool, personOf), {
    count: params.valPairs,
    rng,
    setName: "validation",
  });
  const inVal = imagesOf(val);
  pool = pool.filter((i) => !inVal.has(i));
  const train = samplePairs(groupByPerson(pool, personOf), {
    count: params.trainPairs,
    rng,
    setName: "training",
  });
  let trainImages = pool;
  if (params.protocol === "seed") {
    const inTrain = imagesOf(train);
    trainImages = [...inTrain].sort((a, b) => a - b);
    pool = pool.filter((i) => !inTrain.has(i));
    test = samplePairs(groupByPerson(pool, personOf), {
      count: params.testPairs,
      rng,
      setName: "test",
    });
  }
  const peopleOf = (images: Iterable<number>) => [...new Set([...images].map(personOf))].sort();
  if (params.protocol !== "seed") {
    // The protocol files promise disjoint people; a wrong file (View 2 pairs given as View 1)
    // would put test people in training, so it is checked, not assumed.
    const tested = new Set(peopleOf(imagesOf(test)));
    const overlap = peopleOf(trainImages).filter((p) => tested.has(p));
    if (overlap.length > 0) {
      throw new UserError(
        `the protocol files put ${overlap.length} test people among the training people (${
          overlap.slice(0, 3).join(", ")
        }${overlap.length > 3 ? ", ..." : ""}): check --pairs-file and --people-file`,
      );
    }
  }
  return {
    sets: { train, val, test },
    trainImages,
    people: {
      train: peopleOf(trainImages),
      val: peopleOf(imagesOf(val)),
      test: peopleOf(imagesOf(test)),
    },
    dropped,
  };
}
