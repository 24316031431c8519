import assert from "node:assert/strict";
import { defaultProtocolFiles } from "../../lib/config/defaults.ts";
import { parsePairsFile, parsePeopleFile } from "../../lib/data/lfw_protocol.ts";
import { UserError } from "../../lib/util/errors.ts";
import { needs } from "../helpers/tiers.ts";

const files = defaultProtocolFiles();
const read = (path: string) => Deno.readTextFileSync(path);

Deno.test(
  "View 2 pairs.txt: 10 folds of 300 same + 300 different",
  { ignore: needs("lfw") },
  () => {
    const parsed = parsePairsFile(read(files.pairs), files.pairs);
    assert.equal(parsed.folds, 10);
    assert.equal(parsed.perFold, 300);
    for (let fold = 1; fold <= 10; fold++) {
      const inFold = parsed.pairs.filter((p) => p.fold === fold);
      assert.equal(inFold.filter((p) => p.same).length, 300);
      assert.equal(inFold.filter((p) => !p.same).length, 300);
    }
    assert.ok(
      parsed.pairs.filter((p) => p.same).every((p) =>
        p.a.person === p.b.person && p.a.number !== p.b.number
      ),
    );
    assert.ok(parsed.pairs.filter((p) => !p.same).every((p) => p.a.person !== p.b.person));
  },
);

Deno.test(
  "View 1: pairsDevTrain 1100 + 1100, pairsDevTest 500 + 500",
  { ignore: needs("lfw") },
  () => {
    const dir = files.pairsDevTest.replace(/pairsDevTest\.txt$/, "");
    const train = parsePairsFile(read(dir + "pairsDevTrain.txt"), "pairsDevTrain.txt");
    const test = parsePairsFile(read(files.pairsDevTest), files.pairsDevTest);
    assert.deepEqual([train.folds, train.perFold, train.pairs.length], [1, 1100, 2200]);
    assert.deepEqual([test.folds, test.perFold, test.pairs.length], [1, 500, 1000]);
  },
);

Deno.test("people files: ten disjoint folds in people.txt, one list in peopleDevTrain.txt", {
  ignore: needs("lfw"),
}, () => {
  const folds = parsePeopleFile(read(files.people), files.people);
  assert.equal(folds.length, 10);
  const names = folds.flat().map((p) => p.person);
  assert.equal(new Set(names).size, names.length);
  const dev = parsePeopleFile(read(files.peopleDevTrain), files.peopleDevTrain);
  assert.equal(dev.length, 1);
  assert.equal(dev[0].length, 4038);
  // View 2's test people of each fold are exactly that fold's people.
  const pairs = parsePairsFile(read(files.pairs), files.pairs);
  const fold3 = new Set(folds[2].map((p) => p.person));
  assert.ok(
    pairs.pairs.filter((p) => p.fold === 3).every((p) =>
      fold3.has(p.a.person) && fold3.has(p.b.person)
    ),
  );
});

Deno.test("malformed protocol files name the file and line", () => {
  assert.throws(
    () => parsePairsFile("1\t1\nA 1 2\nB 1 C\n", "x.txt"),
    (e: Error) => e instanceof UserError && /x\.txt:3/.test(e.message),
  );
  assert.throws(() => parsePairsFile("1\t2\nA 1 2\n", "y.txt"), /y\.txt: 1 pair lines, expected 4/);
  assert.throws(() => parsePeopleFile("2\nA 1\n", "p.txt"), /p\.txt: ended/);
});

Deno.test("a line that pairs an image with itself is kept as a pair and listed with its line and fold", () => {
  const parsed = parsePairsFile("2\t1\nA 3 3\nA 1 B 2\nC 1 2\nD 4 D 4\n", "z.txt");
  assert.equal(parsed.pairs.length, 4);
  assert.deepEqual(parsed.selfPairs, [
    { line: "z.txt:2", image: "A_0003", fold: 1 },
    { line: "z.txt:5", image: "D_0004", fold: 2 },
  ]);
  assert.deepEqual(parsePairsFile("1\nA 1 2\nA 1 B 1\n", "v1.txt").selfPairs, []);
});
