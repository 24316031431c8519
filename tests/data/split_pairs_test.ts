import assert from "node:assert/strict";
import {
  defaultProtocolFiles,
  SPLIT_DEFAULTS,
  type SplitParams,
} from "../../lib/config/defaults.ts";
import { parsePairsFile, parsePeopleFile } from "../../lib/data/lfw_protocol.ts";
import { imagesOf } from "../../lib/data/sample_pairs.ts";
import { splitPairs } from "../../lib/data/split_pairs.ts";
import { bucketCounts, splitStats } from "../../lib/data/skew_stats.ts";
import { lfwEntries } from "../helpers/fixtures.ts";
import { needs } from "../helpers/tiers.ts";

// Every test here reads LFW: the basic tier (no LFW copy) ignores them all.
const onLfw = !needs("lfw");
const entries = onLfw ? lfwEntries() : [];
const files = defaultProtocolFiles();

Deno.test("seed split on LFW: sizes, halves, and no image in two sets", { ignore: !onLfw }, () => {
  const params: SplitParams = {
    ...SPLIT_DEFAULTS,
    valPairs: 256,
    trainPairs: 6000,
    testPairs: 1000,
  };
  const { sets } = splitPairs(entries, params);
  assert.deepEqual([sets.val.length, sets.train.length, sets.test.length], [256, 6000, 1000]);
  for (const set of Object.values(sets)) {
    assert.equal(set.filter((p) => p.same).length, set.length / 2);
  }
  const [v, t, s] = [imagesOf(sets.val), imagesOf(sets.train), imagesOf(sets.test)];
  for (const i of t) assert.ok(!v.has(i) && !s.has(i));
  for (const i of s) assert.ok(!v.has(i));
  assert.deepEqual(splitPairs(entries, params).sets, sets);
});

Deno.test("the default seed split (40,000 training pairs) fits the data", { ignore: !onLfw }, () => {
  const { sets } = splitPairs(entries, SPLIT_DEFAULTS);
  assert.equal(sets.train.length, 40_000);
  assert.equal(sets.test.length, 0);
});

Deno.test("lfw-view2: the official fold is the test set, training people come from the other folds", { ignore: !onLfw }, () => {
  const pairs = parsePairsFile(Deno.readTextFileSync(files.pairs), files.pairs);
  const folds = parsePeopleFile(Deno.readTextFileSync(files.people), files.people);
  const trainPeople = new Set(folds.filter((_, i) => i !== 1).flat().map((p) => p.person));
  const { sets, dropped } = splitPairs(
    entries,
    { ...SPLIT_DEFAULTS, protocol: "lfw-view2", fold: 2, trainPairs: 2000 },
    { protocol: { testPairs: pairs.pairs.filter((p) => p.fold === 2), trainPeople } },
  );
  assert.equal(sets.test.length + dropped.length, 600);
  const testPeople = new Set([...imagesOf(sets.test)].map((i) => entries[i].person));
  for (const i of imagesOf([...sets.train, ...sets.val])) {
    assert.ok(trainPeople.has(entries[i].person));
    assert.ok(!testPeople.has(entries[i].person));
  }
});

Deno.test("lfw-view1: validation people are held out of training; training images are the rest", { ignore: !onLfw }, () => {
  const pairs = parsePairsFile(Deno.readTextFileSync(files.pairsDevTest), files.pairsDevTest);
  const people = parsePeopleFile(
    Deno.readTextFileSync(files.peopleDevTrain),
    files.peopleDevTrain,
  );
  const trainPeople = new Set(people.flat().map((p) => p.person));
  const params: SplitParams = { ...SPLIT_DEFAULTS, protocol: "lfw-view1", trainPairs: 2000 };
  const result = splitPairs(entries, params, {
    protocol: { testPairs: pairs.pairs, trainPeople },
  });
  const { sets, trainImages } = result;
  const personOf = (i: number) => entries[i].person;
  const valPeople = new Set([...imagesOf(sets.val)].map(personOf));
  const trainedPeople = new Set(trainImages.map(personOf));
  // No validation person has a single image the model may train on.
  for (const p of valPeople) assert.ok(!trainedPeople.has(p), `${p} is in training and validation`);
  for (const i of imagesOf(sets.train)) assert.ok(trainedPeople.has(personOf(i)));
  // About the requested share of the protocol's training people is held out.
  const heldOut = [...trainPeople].filter((p) => !trainedPeople.has(p)).length;
  assert.ok(Math.abs(heldOut / trainPeople.size - 0.1) < 0.01, `held out ${heldOut}`);
  assert.deepEqual(result.people.val, [...valPeople].sort());
  const testPeople = new Set(result.people.test);
  for (const p of trainedPeople) assert.ok(!testPeople.has(p));
  // Every image of a training person is a training image.
  assert.equal(trainImages.length, entries.filter((e) => trainedPeople.has(e.person)).length);
  assert.deepEqual(
    splitPairs(entries, params, { protocol: { testPairs: pairs.pairs, trainPeople } }),
    result,
  );
});

Deno.test("seed: training images are those of the training pairs, disjoint from validation and test", { ignore: !onLfw }, () => {
  const { sets, trainImages } = splitPairs(entries, {
    ...SPLIT_DEFAULTS,
    trainPairs: 2000,
    testPairs: 200,
  });
  assert.deepEqual(trainImages, [...imagesOf(sets.train)].sort((a, b) => a - b));
  const other = new Set([...imagesOf(sets.val), ...imagesOf(sets.test)]);
  for (const i of trainImages) assert.ok(!other.has(i));
});

Deno.test("protocol files that put test people in training (View 2 pairs given as View 1) are refused", { ignore: !onLfw }, () => {
  const pairs = parsePairsFile(Deno.readTextFileSync(files.pairs), files.pairs);
  const people = parsePeopleFile(Deno.readTextFileSync(files.peopleDevTrain), files.peopleDevTrain);
  assert.throws(
    () =>
      splitPairs(entries, { ...SPLIT_DEFAULTS, protocol: "lfw-view1", trainPairs: 200 }, {
        protocol: {
          testPairs: pairs.pairs,
          trainPeople: new Set(people.flat().map((p) => p.person)),
        },
      }),
    /the protocol files put \d+ test people among the training people .*--pairs-file/,
  );
});

Deno.test("skew statistics bucket people by image count", { ignore: !onLfw }, () => {
  assert.deepEqual(Object.values(bucketCounts([1, 1, 2, 3, 5, 6, 11, 26, 76, 200, 201, 530])), [
    2,
    1,
    2,
    1,
    1,
    1,
    2,
    2,
  ]);
  const stats = splitStats(
    entries,
    splitPairs(entries, { ...SPLIT_DEFAULTS, trainPairs: 1000 }).sets,
  );
  assert.equal(stats.dataset.people, new Set(entries.map((e) => e.person)).size);
  assert.equal(
    Object.values(stats.dataset.peoplePerBucket).reduce((a, b) => a + b, 0),
    stats.dataset.people,
  );
  assert.equal(stats.sets.train.pairs, 1000);
  assert.equal(stats.sets.train.same, 500);
});
