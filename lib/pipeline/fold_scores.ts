/**
 * The scores one View 2 fold model gives pairs (the ten-fold evaluation's costly part: each fold
 * model embeds every protocol image, for the protocol's thresholds), computed in this thread or
 * in a worker of its own. The folds are independent, so on the CPU backends the evaluation
 * scores as many folds at once as there are cores, each worker with its own backend instance:
 * the same kernels, the same numbers, about twice as fast on two cores.
 *
 * @example
 * ```ts
 * const scores = await scoreFoldInWorker({
 *   artifacts: "artifacts", fold: "v2_fold1", faces, entries, pairs, params: TEST_DEFAULTS,
 *   backend: "wasm",
 * }, console.log);
 * ```
 * @module
 */
import { EVAL_BATCH_PAIRS, type TestParams } from "../config/defaults.ts";
import { projectedParams } from "../evaluate/embedding_projection.ts";
import { predictPairsAsync } from "../evaluate/predict_pairs.ts";
import type { PairColumns } from "../train/pair_batches.ts";
import type { BackendChoice } from "../backend/select_backend.ts";
import { fitProjection } from "./test_stage.ts";
import type { TrainedExperiment } from "./trained_experiment.ts";
import { UserError } from "../util/errors.ts";

/** What a fold is scored on: everything a worker needs, as plain, transferable data. */
export interface FoldScoreRequest {
  /** The artifact store's root folder. */
  artifacts: string;
  /** The fold experiment's name. */
  fold: string;
  /** The prepared faces at the fold model's input size, N x size x size bytes. */
  faces: Uint8Array;
  /** Each face's person (a projection is fitted on the fold's training people). */
  entries: { person: string }[];
  /** The pairs to score (indices into `faces`). */
  pairs: PairColumns;
  params: TestParams;
  /** The backend the worker starts. */
  backend: BackendChoice;
}

/**
 * Same-person probabilities of `request.pairs` by the opened fold model `trained`, in this thread
 * (its backend already selected): its weights, the projection the test parameters ask for
 * (fitted on the fold's own training people), then the pairs, mirror-averaged or augmented as
 * the parameters say.
 */
export async function scoreFold(
  trained: TrainedExperiment,
  request: Omit<FoldScoreRequest, "artifacts" | "fold" | "backend">,
  log: (line: string) => void,
): Promise<Float32Array> {
  const { params, faces } = request;
  let weights = await trained.loadWeights();
  try {
    if (params.projection === "wccn") {
      const projection = await fitProjection(trained, weights, faces, request.entries, params, log);
      const projected = await projectedParams(weights, projection);
      weights.dispose();
      weights = projected;
    }
    const { probabilities } = await predictPairsAsync(weights, {
      faces,
      size: trained.model.inputSize,
      pairs: request.pairs,
      batchSize: EVAL_BATCH_PAIRS,
      seed: trained.params.seed,
      augment: null,
    }, { tta: params.tta, flip: params.flip });
    return probabilities;
  } finally {
    weights.dispose();
  }
}

/** Messages from the fold worker: log lines, then the scores or an error. */
export type FoldWorkerMessage =
  | { log: string }
  | { probabilities: Float32Array }
  | { error: string; user: boolean };

/**
 * {@linkcode scoreFold} in a worker of its own (which opens the fold experiment from the store
 * by name and starts `request.backend`); its log lines come through `log`. The worker ends with
 * the call, also when it fails.
 */
export function scoreFoldInWorker(
  request: FoldScoreRequest,
  log: (line: string) => void,
): Promise<Float32Array> {
  const worker = new Worker(new URL("./fold_worker.ts", import.meta.url).href, {
    type: "module",
  });
  return new Promise<Float32Array>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<FoldWorkerMessage>) => {
      const message = event.data;
      if ("log" in message) return log(message.log);
      worker.terminate();
      if ("probabilities" in message) resolve(message.probabilities);
      // A worker's UserError is rethrown as one here (a one-line message for the user).
      else reject(message.user ? new UserError(message.error) : new Error(message.error));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`fold worker for "${request.fold}": ${event.message}`));
    };
    worker.postMessage(request);
  });
}
