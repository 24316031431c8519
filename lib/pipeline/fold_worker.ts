/**
 * Worker of {@linkcode scoreFoldInWorker}: starts the requested backend, opens the fold
 * experiment from the store and scores the pairs, posting log lines, then the scores (or the
 * error, saying whether it is a user's error).
 * @module
 */
/// <reference lib="deno.worker" />
import { selectBackend } from "../backend/select_backend.ts";
import { UserError } from "../util/errors.ts";
import { ArtifactStore } from "./artifact_store.ts";
import { type FoldScoreRequest, type FoldWorkerMessage, scoreFold } from "./fold_scores.ts";
import { openTrainedExperiment } from "./trained_experiment.ts";

self.onmessage = async (event: MessageEvent<FoldScoreRequest>) => {
  const request = event.data;
  const post = (message: FoldWorkerMessage, transfer: Transferable[] = []) =>
    self.postMessage(message, transfer);
  const log = (line: string) => post({ log: line });
  try {
    await selectBackend(request.backend, { log: () => {} });
    const store = new ArtifactStore(request.artifacts, { log, warn: log });
    const trained = await openTrainedExperiment(store, request.fold);
    const probabilities = await scoreFold(trained, request, log);
    post({ probabilities }, [probabilities.buffer as ArrayBuffer]);
  } catch (error) {
    post({
      error: error instanceof Error ? error.message : String(error),
      user: error instanceof UserError,
    });
  }
};
