/**
 * A fold's scores in a worker of their own equal those computed in this thread (the ten-fold
 * evaluation scores folds in parallel this way), and a worker's failure reaches the caller.
 */
import assert from "node:assert/strict";
import { selectBackend } from "../../lib/backend/select_backend.ts";
import { TEST_DEFAULTS } from "../../lib/config/defaults.ts";
import { loadFaceArray, resizeFaceArray } from "../../lib/data/face_array.ts";
import { ArtifactStore } from "../../lib/pipeline/artifact_store.ts";
import { storedValidation } from "../../lib/evaluate/validation_scores.ts";
import { scoreFold, scoreFoldInWorker } from "../../lib/pipeline/fold_scores.ts";
import { loadPairSets } from "../../lib/pipeline/split_files.ts";
import { trainExperiment } from "../../lib/pipeline/train_stage.ts";
import { openTrainedExperiment } from "../../lib/pipeline/trained_experiment.ts";
import { pairColumns } from "../../lib/train/pair_batches.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir, tinyTrainOptions, writePgmFolder } from "../helpers/fixtures.ts";

Deno.test("a fold scored in a worker gives exactly the scores of this thread; its errors come back", async () => {
  const images = tempDir();
  writePgmFolder(images, { people: 24, perPerson: 8 });
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const train = (name: string, model: string) =>
    trainExperiment(store, tinyTrainOptions(images, name, model));
  await train("fold_like", "seed");
  await selectBackend("wasm", { log: () => {} });
  const trained = await openTrainedExperiment(store, "fold_like");
  const faces = await loadFaceArray(trained.prepared.dir);
  const sets = await loadPairSets(trained.split.dir);
  const request = {
    faces: resizeFaceArray(faces, trained.model.inputSize),
    entries: faces.entries.map((e) => ({ person: e.person })),
    pairs: pairColumns(sets.test),
    validation: pairColumns(sets.val),
    params: { ...TEST_DEFAULTS, flip: true },
  };
  const here = await scoreFold(trained, request, () => {});
  const there = await scoreFoldInWorker(
    { ...request, artifacts: store.root, fold: "fold_like", key: trained.key, backend: "wasm" },
    () => {},
  );
  assert.equal(here.length, 32);
  assert.ok(new Set(here).size > 1, "the pairs get different scores");
  assert.deepEqual(there, here);

  // A fit that stored its validation scores: only the test pairs are scored, then the stored
  // scores follow them (here: halves of the scores just computed, to tell them apart).
  const tests = sets.test.length;
  const stored = Float32Array.from(here.slice(tests), (p) => p / 2);
  const fitted = {
    ...trained,
    loadMeta: () => Promise.resolve({ validation: storedValidation(request.validation, stored) }),
  };
  const reused = await scoreFold(fitted, request, () => {});
  assert.equal(reused.length, here.length);
  for (let i = 0; i < here.length; i++) {
    const expected = i < tests ? here[i] : stored[i - tests];
    assert.ok(Math.abs(reused[i] - expected) < 1e-6, `${i}`);
  }
  // With other scoring (no mirror averaging), the stored scores are not used.
  const plain = { ...request, params: { ...request.params, flip: false } };
  const rescored = await scoreFold(fitted, plain, () => {});
  assert.deepEqual(rescored, await scoreFold(trained, plain, () => {}));

  await assert.rejects(
    () =>
      scoreFoldInWorker(
        {
          ...request,
          artifacts: store.root,
          fold: "no_such_fold",
          key: trained.key,
          backend: "wasm",
        },
        () => {},
      ),
    (error: Error) => error instanceof UserError && /no_such_fold/.test(error.message),
  );
  // A model other than the one the evaluation recorded is refused.
  await assert.rejects(
    () =>
      scoreFoldInWorker(
        { ...request, artifacts: store.root, fold: "fold_like", key: "another", backend: "wasm" },
        () => {},
      ),
    (error: Error) =>
      error instanceof UserError && /changed while it was being evaluated/.test(error.message),
  );

  // An identity model with the WCCN projection fitted in the worker: the same scores too.
  await train("fold_cosine", "seed_cosface");
  const cosine = await openTrainedExperiment(store, "fold_cosine");
  const projected = { ...request, params: { ...request.params, projection: "wccn" as const } };
  const lines: string[] = [];
  const inThread = await scoreFold(cosine, projected, () => {});
  const inWorker = await scoreFoldInWorker(
    { ...projected, artifacts: store.root, fold: "fold_cosine", key: cosine.key, backend: "wasm" },
    (line) => lines.push(line),
  );
  assert.deepEqual(inWorker, inThread);
  assert.ok(
    lines.some((l) => /^fold_cosine: test: WCCN projection fitted/.test(l)),
    lines.join("\n"),
  );
});
