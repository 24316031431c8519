import assert from "node:assert/strict";
import { join } from "node:path";
import { historyCsv, writeHistory } from "../../lib/train/history.ts";
import { tempDir } from "../helpers/fixtures.ts";

const record = {
  epoch: 1,
  trainLoss: 0.7,
  trainAccuracy: 0.5,
  valLoss: 0.69,
  valAccuracy: 0.52,
  seconds: 12.5,
  pairsPerSecond: 80,
};

Deno.test("the history is written as CSV with a header and as JSON", async () => {
  assert.equal(
    historyCsv([record]),
    "epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,valAuc,seconds,pairsPerSecond\n" +
      "1,0.700000,0.500000,0.690000,0.520000,,12.5000,80.0000\n",
  );
  const dir = tempDir();
  await writeHistory(dir, [record, { ...record, epoch: 2 }]);
  assert.equal(JSON.parse(Deno.readTextFileSync(join(dir, "history.json"))).length, 2);
  assert.equal(Deno.readTextFileSync(join(dir, "history.csv")).trim().split("\n").length, 3);
});
