import assert from "node:assert/strict";
import { join } from "node:path";
import type { Artifact } from "../../lib/pipeline/artifact_store.ts";
import { verifyFold } from "../../lib/pipeline/ten_fold.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

/** A split artifact on disk with the given parameters, inputs and training people. */
function fakeSplit(
  params: Record<string, unknown>,
  inputs: Record<string, string>,
  trainPeople: string[],
): Artifact {
  const dir = tempDir();
  Deno.writeTextFileSync(
    join(dir, "people.json"),
    JSON.stringify({ train: trainPeople, val: [], test: [] }),
  );
  return {
    stage: "split",
    key: "k",
    dir,
    manifest: {
      stage: "split",
      key: "k",
      code: { hash: "", files: {} },
      params,
      inputs,
      files: {},
      createdAt: "",
      durationSeconds: 0,
      tools: {},
      info: {},
    },
  };
}

const inputs = { faces: "F", pairs: "P", people: "Q" };
const expected = {
  protocolKeys: { pairs: "P", people: "Q" },
  faces: new Set(["F"]),
  testPeople: new Set(["Test_Person"]),
};

Deno.test("a clean fold passes", async () => {
  const split = fakeSplit({ protocol: "lfw-view2", fold: 3 }, inputs, ["Other_Person"]);
  await verifyFold({ name: "x_fold3", fold: 3, split }, expected);
});

Deno.test("a fold trained on a test person, another fold, protocol or file is refused", async () => {
  const refused = async (split: Artifact, pattern: RegExp) =>
    await assert.rejects(
      () => verifyFold({ name: "x_fold3", fold: 3, split }, expected),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
    );
  await refused(
    fakeSplit({ protocol: "lfw-view2", fold: 3 }, inputs, ["Other_Person", "Test_Person"]),
    /trained on 1 test people of fold 3 \(Test_Person/,
  );
  await refused(
    fakeSplit({ protocol: "lfw-view2", fold: 4 }, inputs, []),
    /lfw-view2 --fold 4, not lfw-view2 fold 3/,
  );
  await refused(fakeSplit({ protocol: "seed" }, inputs, []), /--protocol seed, not lfw-view2/);
  await refused(
    fakeSplit({ protocol: "lfw-view2", fold: 3 }, { ...inputs, pairs: "other" }, []),
    /another protocol pairs file/,
  );
  await refused(
    fakeSplit({ protocol: "lfw-view2", fold: 3 }, { ...inputs, faces: "other" }, []),
    /other prepared faces/,
  );
});
