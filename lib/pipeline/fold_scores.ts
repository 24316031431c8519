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
 *   artifacts: "artifacts", fold: "v2_fold1", key: trained.key, faces, entries, pairs,
 *   params: TEST_DEFAULTS, backend: "wasm",
 * }, console.log);
 * ```
 * @module
 */
import type { TestParams } from "../config/defaults.ts";
import { projectedParams } from "../evaluate/embedding_projection.ts";
import { reusableValidation, scorePairs } from "../evaluate/validation_scores.ts";
import type { PairColumns } from "../train/pair_batches.ts";
import { fitProjection } from "./test_projection.ts";
import type { TrainedExperiment } from "./trained_experiment.ts";
import { callWorker } from "../util/worker_call.ts";
import { WorkerCode } from "./worker_code.ts";

/** The fold workers' module (its code checked before each starts). */
const FOLD_WORKER = new WorkerCode(new URL("./fold_worker.ts", import.meta.url));

/** What a fold is scored on: everything a worker needs, as plain data. */
export interface FoldScoreRequest {
  /** The artifact store's root folder. */
  artifacts: string;
  /** The fold experiment's name. */
  fold: string;
  /** The key of its trained model, as the evaluation recorded it. */
  key: string;
  /** The prepared faces at the fold model's input size, N x size x size bytes. */
  faces: Uint8Array;
  /** Each face's person (a projection is fitted on the fold's training people). */
  entries: { person: string }[];
  /** The pairs to score (indices into `faces`). */
  pairs: PairColumns;
  /**
   * The fold's validation pairs, scored after `pairs`: the scores its fit stored when they are
   * `params`' scoring of them, else scored here.
   */
  validation: PairColumns;
  params: TestParams;
  /** The backend the worker starts (the CPU ones: each worker has its own instance). */
  backend: "wasm" | "cpu";
}

/**
 * Same-person probabilities of `request.pairs` then `request.validation` by the opened fold model
 * `trained`, in this thread (its backend already selected): its weights, the projection the test
 * parameters ask for (fitted on the fold's own training people), then the pairs,
 * mirror-averaged or augmented as the parameters say. The validation pairs' scores are the fit's
 * stored ones when they are the same scoring of the same pairs.
 */
export async function scoreFold(
  trained: TrainedExperiment,
  request: Omit<FoldScoreRequest, "artifacts" | "fold" | "key" | "backend">,
  log: (line: string) => void,
): Promise<Float32Array> {
  const { params, faces } = request;
  const stored = params.projection === "none"
    ? reusableValidation(await trained.loadMeta(), request.validation, params)
    : undefined;
  const pairs = stored ? request.pairs : joinColumns(request.pairs, request.validation);
  let weights = await trained.loadWeights();
  try {
    if (params.projection === "wccn") {
      const projection = await fitProjection(trained, weights, faces, request.entries, params, log);
      // projectedParams frees the weights it is given.
      weights = await projectedParams(weights, projection);
    }
    const { probabilities } = await scorePairs(weights, {
      faces,
      size: trained.model.inputSize,
      pairs,
      seed: trained.params.seed,
    }, { tta: params.tta, flip: params.flip });
    if (!stored) return probabilities;
    const all = new Float32Array(probabilities.length + stored.length);
    all.set(probabilities), all.set(stored, probabilities.length);
    return all;
  } finally {
    weights.dispose();
  }
}

/** Pairs `first` followed by `second`. */
function joinColumns(first: PairColumns, second: PairColumns): PairColumns {
  const join = <T extends Int32Array | Uint8Array>(x: T, y: T, make: (n: number) => T) => {
    const out = make(x.length + y.length);
    out.set(x), out.set(y, x.length);
    return out;
  };
  return {
    a: join(first.a, second.a, (n) => new Int32Array(n)),
    b: join(first.b, second.b, (n) => new Int32Array(n)),
    same: join(first.same, second.same, (n) => new Uint8Array(n)),
  };
}

/**
 * {@linkcode scoreFold} in a worker of its own, which starts `request.backend`, opens the fold
 * experiment from the store and checks that it is still the model `request.key` names. Its log
 * lines come through `log`, prefixed with the fold's name.
 */
export function scoreFoldInWorker(
  request: FoldScoreRequest,
  log: (line: string) => void,
): Promise<Float32Array> {
  // Cloned, not transferred: the folds share one array of resized faces.
  return callWorker<FoldScoreRequest, Float32Array>(
    FOLD_WORKER,
    request,
    { label: `scoring fold "${request.fold}"`, log: (line) => log(`${request.fold}: ${line}`) },
  );
}
