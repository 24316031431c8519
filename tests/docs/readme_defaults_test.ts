import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  PREPARE_DEFAULTS,
  SPLIT_DEFAULTS,
  TEST_DEFAULTS,
  TRAIN_DEFAULTS,
} from "../../lib/config/defaults.ts";
import { ADAM_DEFAULTS } from "../../lib/train/adam.ts";

/** The README's option tables: option name -> the default column (backticks removed). */
function readmeDefaults(): Map<string, string[]> {
  const text = Deno.readTextFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)));
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^\| `(--[a-z-]+)[^`]*`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (!m) continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2].replaceAll("`", "")]);
  }
  return out;
}

Deno.test("the README's option tables state the defaults of lib/config and the optimiser", () => {
  const readme = readmeDefaults();
  const expected: [string, string][] = [
    ["--box", PREPARE_DEFAULTS.box.join(",")],
    ["--size", String(PREPARE_DEFAULTS.size)],
    ["--protocol", SPLIT_DEFAULTS.protocol],
    ["--seed", String(SPLIT_DEFAULTS.seed)],
    ["--val-pairs", String(SPLIT_DEFAULTS.valPairs)],
    ["--train-pairs", String(SPLIT_DEFAULTS.trainPairs)],
    ["--test-pairs", String(SPLIT_DEFAULTS.testPairs)],
    ["--val-people-share", String(SPLIT_DEFAULTS.valPeopleShare)],
    ["--epochs", String(TRAIN_DEFAULTS.epochs)],
    ["--batch-size", String(TRAIN_DEFAULTS.batchSize)],
    ["--model", TRAIN_DEFAULTS.model],
    ["--backend", TRAIN_DEFAULTS.backend],
    ["--lr", String(ADAM_DEFAULTS.learningRate)],
    ["--weight-decay", String(ADAM_DEFAULTS.weightDecay)],
    ["--augment", "1"],
    [
      "--lr-schedule",
      `${TRAIN_DEFAULTS.schedule.pair} (pair models), ${TRAIN_DEFAULTS.schedule.cosface} (identity models)`,
    ],
    [
      "--warmup-epochs",
      `${TRAIN_DEFAULTS.warmupEpochs.pair} (pair models), ${TRAIN_DEFAULTS.warmupEpochs.cosface} (identity models)`,
    ],
    ["--min-images-per-person", String(TRAIN_DEFAULTS.minImagesPerPerson)],
    ["--tta", String(TEST_DEFAULTS.tta)],
    ["--train-eval-pairs", String(TEST_DEFAULTS.trainEvalPairs)],
    ["--gallery", String(TEST_DEFAULTS.galleryPairs)],
  ];
  for (const [option, value] of expected) {
    const stated = readme.get(option);
    assert.ok(stated, `the README has no row for ${option}`);
    assert.ok(stated.includes(value), `README says ${option} defaults to ${stated}, code ${value}`);
  }
  assert.equal(TEST_DEFAULTS.flip, true, "the README says mirror averaging is on by default");
});
