import assert from "node:assert/strict";
import { join } from "node:path";
import { PREPARE_DEFAULTS, SPLIT_DEFAULTS } from "../../lib/config/defaults.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ensureSplit } from "../../lib/pipeline/split_stage.ts";
import { loadPairSets } from "../../lib/pipeline/split_files.ts";
import { tempDir, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("a protocol line that pairs an image with itself is a test pair, with a warning naming the line", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 12, perPerson: 4 });
  const files = tempDir();
  const pairs = join(files, "pairs.txt");
  const people = join(files, "people.txt");
  Deno.writeTextFileSync(
    pairs,
    "2\nPgm_Person0 1 1\nPgm_Person1 1 2\nPgm_Person0 2 Pgm_Person1 3\nPgm_Person0 3 Pgm_Person1 4\n",
  );
  Deno.writeTextFileSync(
    people,
    `10\n${Array.from({ length: 10 }, (_, i) => `Pgm_Person${i + 2} 4`).join("\n")}\n`,
  );
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const warnings: string[] = [];
  const warn = console.warn;
  const log = console.log;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  console.log = () => {};
  let split;
  try {
    split = await ensureSplit(store, {
      prepare: { images, params: PREPARE_DEFAULTS },
      params: {
        ...SPLIT_DEFAULTS,
        protocol: "lfw-view1",
        trainPairs: 8,
        valPairs: 4,
        valPeopleShare: 0.3,
      },
      protocolFiles: { pairs: "", people: "", pairsDevTest: pairs, peopleDevTrain: people },
    });
  } finally {
    console.warn = warn;
    console.log = log;
  }
  assert.deepEqual(warnings, [
    `warning: ${pairs}:2 pairs Pgm_Person0_0001 with itself; kept as a test pair (the protocol's), though any model calls an image the same as itself`,
  ]);
  const { test } = await loadPairSets(split.split.dir);
  assert.equal(test.length, 4);
  assert.equal(test.filter((p) => p.a === p.b).length, 1);
});
