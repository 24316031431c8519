import assert from "node:assert/strict";
import { join } from "node:path";
import { PREPARE_DEFAULTS, SPLIT_DEFAULTS } from "../../lib/config/defaults.ts";
import { loadFaceArray } from "../../lib/data/face_array.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { ensurePrepared } from "../../lib/pipeline/prepare_stage.ts";
import { ensureSplit, type SplitOptions } from "../../lib/pipeline/split_stage.ts";
import { loadPairSets } from "../../lib/pipeline/split_files.ts";
import { defaultProtocolFiles } from "../../lib/config/defaults.ts";
import { tempDir, writePgmFolder } from "../helpers/fixtures.ts";

function setUp() {
  const images = tempDir();
  writePgmFolder(images, { people: 8, perPerson: 4 });
  const lines: string[] = [];
  const store = new ArtifactStore(tempDir(), {
    log: (l) => lines.push(l),
    warn: (l) => lines.push(l),
  });
  const options: SplitOptions = {
    prepare: { images, params: PREPARE_DEFAULTS },
    params: { ...SPLIT_DEFAULTS, valPairs: 8, trainPairs: 20 },
    protocolFiles: defaultProtocolFiles(),
  };
  return { images, store, lines, options };
}

Deno.test("split runs prepare first, then both are cached", async () => {
  const { store, lines, options } = setUp();
  const { prepared, split } = await ensureSplit(store, options);
  const faces = await loadFaceArray(prepared.dir);
  assert.equal(faces.entries.length, 32);
  const sets = await loadPairSets(split.dir);
  assert.equal(sets.train.length, 20);
  assert.deepEqual(lines.splice(0).map((l) => l.split(" (")[0]), [
    "prepare: running",
    "split: running",
  ]);
  await ensureSplit(store, options);
  assert.deepEqual(lines.splice(0).map((l) => l.split(" (")[0]), [
    "prepare: cached",
    "split: cached",
  ]);
});

Deno.test("a changed parameter reruns that stage and those downstream only", async () => {
  const { store, lines, options } = setUp();
  await ensureSplit(store, options);
  lines.length = 0;
  await ensureSplit(store, { ...options, params: { ...options.params, seed: 7 } });
  assert.deepEqual(lines.splice(0).map((l) => l.split(" (")[0]), [
    "prepare: cached",
    "split: running",
  ]);
  await ensureSplit(store, {
    ...options,
    prepare: { ...options.prepare, params: { ...PREPARE_DEFAULTS, size: 32 } },
  });
  assert.deepEqual(lines.splice(0).map((l) => l.split(" (")[0]), [
    "prepare: running",
    "split: running",
  ]);
});

Deno.test("changed input images rerun prepare; a tampered face array is rebuilt", async () => {
  const { images, store, lines, options } = setUp();
  const first = await ensurePrepared(store, options.prepare);
  const extra = join(images, "faces", "Pgm_Person0_0001.pgm");
  Deno.writeFileSync(extra, Deno.readFileSync(join(images, "faces", "Pgm_Person1_0001.pgm")));
  const second = await ensurePrepared(store, options.prepare);
  assert.notEqual(second.key, first.key);
  const path = join(second.dir, "faces.u8");
  const bytes = Deno.readFileSync(path);
  bytes[100] ^= 0xff;
  Deno.writeFileSync(path, bytes);
  lines.length = 0;
  const third = await ensurePrepared(store, options.prepare);
  assert.equal(third.key, second.key);
  assert.match(lines.join("\n"), /faces\.u8 has sha256 [\s\S]*prepare: running/);
  assert.notEqual(Deno.readFileSync(path)[100], bytes[100]);
});
