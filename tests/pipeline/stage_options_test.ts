import assert from "node:assert/strict";
import { PREPARE_DEFAULTS, SPLIT_DEFAULTS } from "../../lib/config/defaults.ts";
import {
  PREPARE_OPTIONS,
  readPrepareOptions,
  readSplitOptions,
  SPLIT_OPTIONS,
} from "../../lib/pipeline/stage_options.ts";
import { normalizeSplitParams } from "../../lib/pipeline/split_stage.ts";
import { parseTaskArgs } from "../../lib/util/cli.ts";
import { UserError } from "../../lib/util/errors.ts";

const parse = (args: string[]) => parseTaskArgs(args, { ...PREPARE_OPTIONS, ...SPLIT_OPTIONS });

Deno.test("no options give the defaults from lib/config", () => {
  const options = readSplitOptions(parse([]));
  assert.deepEqual(options.prepare.params, PREPARE_DEFAULTS);
  assert.deepEqual({ ...options.params, fold: undefined }, { ...SPLIT_DEFAULTS, fold: undefined });
});

Deno.test("options are read and bad values are named", () => {
  const options = readPrepareOptions(
    parse(["--box", "80,90,170,180", "--size", "32", "--colour", "--images", "/x"]),
  );
  assert.deepEqual(options.params, {
    box: [80, 90, 170, 180],
    size: 32,
    grey: false,
    skipBad: false,
  });
  assert.equal(options.images, "/x");
  assert.throws(
    () => readPrepareOptions(parse(["--box", "1,2,3"])),
    (e: Error) => e instanceof UserError && /--box/.test(e.message),
  );
  assert.throws(() => readPrepareOptions(parse(["--box", "10,10,5,20"])), /--box/);
  assert.throws(() => readPrepareOptions(parse(["--size", "4"])), /--size/);
  assert.throws(
    () => readSplitOptions(parse(["--protocol", "view3"])),
    /--protocol: "view3" is not one of seed, lfw-view1, lfw-view2/,
  );
  const view1 = readSplitOptions(parse(["--protocol", "lfw-view1", "--pairs-file", "/p.txt"]));
  assert.equal(view1.protocolFiles.pairsDevTest, "/p.txt");
});

Deno.test("a --box outside the 250x250 frame, or too small to cut a face from, is refused up front naming --box", () => {
  const refused = (box: string, pattern: RegExp) =>
    assert.throws(
      () => readPrepareOptions(parse([`--box=${box}`])),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
      box,
    );
  refused("0,0,300,300", /^--box 0,0,300,300: right and bottom outside the 250x250 LFW frame/);
  refused("-5,0,100,100", /^--box -5,0,100,100: left outside the 250x250 LFW frame/);
  refused("1,2,5,9", /^--box 1,2,5,9: a 4x7 box is too small to cut a face from/);
  // The whole frame and LFWcrop's box are boxes.
  assert.deepEqual(readPrepareOptions(parse(["--box", "0,0,250,250"])).params.box, [
    0,
    0,
    250,
    250,
  ]);
  assert.deepEqual(readPrepareOptions(parse([])).params.box, PREPARE_DEFAULTS.box);
});

Deno.test("split parameters are normalised per protocol and checked", () => {
  assert.throws(() => normalizeSplitParams({ ...SPLIT_DEFAULTS, protocol: "lfw-view2" }), /--fold/);
  assert.throws(
    () => normalizeSplitParams({ ...SPLIT_DEFAULTS, valPairs: 7 }),
    /--val-pairs: 7 must be an even/,
  );
  const view1 = normalizeSplitParams({
    ...SPLIT_DEFAULTS,
    protocol: "lfw-view1",
    testPairs: 100,
    fold: 3,
  });
  assert.equal(view1.testPairs, 0);
  assert.equal(view1.fold, undefined);
});

Deno.test("options of another protocol are refused, not silently ignored", () => {
  for (const args of [["--fold", "3"], ["--pairs-file", "/p.txt"], ["--people-file", "/q.txt"]]) {
    assert.throws(
      () => readSplitOptions(parse(args)),
      (e: Error) => e instanceof UserError && /not --protocol seed/.test(e.message),
    );
  }
  assert.throws(
    () => readSplitOptions(parse(["--protocol", "lfw-view1", "--fold", "2"])),
    /--fold is for --protocol lfw-view2/,
  );
  assert.equal(readSplitOptions(parse(["--protocol", "lfw-view2", "--fold", "2"])).params.fold, 2);
});
