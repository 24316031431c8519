/**
 * Worker of {@linkcode scoreFoldInWorker}: starts the requested backend, opens the fold
 * experiment from the store, checks it is the model the evaluation recorded, and scores the
 * pairs.
 * @module
 */
/// <reference lib="deno.worker" />
import { selectBackend } from "../backend/select_backend.ts";
import { UserError } from "../util/errors.ts";
import { serveCall } from "../util/worker_call.ts";
import { ArtifactStore } from "./artifact_store.ts";
import { type FoldScoreRequest, scoreFold } from "./fold_scores.ts";
import { openTrainedExperiment } from "./trained_experiment.ts";

serveCall<FoldScoreRequest, Float32Array>(async (request, log) => {
  await selectBackend(request.backend, { log: () => {} });
  const store = new ArtifactStore(request.artifacts, { log, warn: log });
  const trained = await openTrainedExperiment(store, request.fold);
  if (trained.key !== request.key) {
    throw new UserError(
      `fold experiment "${request.fold}" changed while it was being evaluated (now ${trained.key}); rerun the test`,
    );
  }
  const probabilities = await scoreFold(trained, request, log);
  return { result: probabilities, transfer: [probabilities.buffer as ArrayBuffer] };
});
