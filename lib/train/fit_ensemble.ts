/**
 * Fitting of ensembles (`ensemble_model.ts`): the members' trained parameters are copied in, and
 * the members' weights are chosen on the validation pairs, whose people no member trained on:
 * every point of a grid over the weights' simplex (steps of 0.05) scores the validation pairs by
 * the weighted mean of the members' logits (their scaled cosines, or a learnt head's logits), and
 * the one with the highest validation AUC wins
 * (the AUC, not the accuracy, because it does not hang on one threshold and varies more smoothly
 * with the weights). Mirror-averaged embeddings, as `test` scores by default. A fitted member's
 * logits are the validation scores its own fit stored (`test`'s scoring of that member alone),
 * so only the networks' are computed again.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { reusableValidation, scorePairs, TEST_SCORING } from "../evaluate/validation_scores.ts";
import { rocAuc, rocCurve } from "../evaluate/roc_curve.ts";
import { ENSEMBLE_SEPARATOR, ENSEMBLE_WEIGHTS, memberParamName } from "../model/ensemble_model.ts";
import { ModelParams, type ParamArrays } from "../model/model_params.ts";
import { getModel } from "../model/registry.ts";
import { UserError } from "../util/errors.ts";
import { finishedFit, saveFit } from "./fitted_run.ts";
import type { TrainData, TrainParams, TrainRunOptions, TrainRunResult } from "./trainer.ts";

/** Step of the weight grid. */
const GRID_STEP = 0.05;

/** Every point of the simplex of `count` weights in steps of `step` (sums of 1). */
export function simplexGrid(count: number, step: number): number[][] {
  const steps = Math.round(1 / step);
  const out: number[][] = [];
  const walk = (prefix: number[], left: number) => {
    if (prefix.length === count - 1) return out.push([...prefix, left / steps]);
    for (let k = 0; k <= left; k++) walk([...prefix, k / steps], left - k);
  };
  walk([], steps);
  return out;
}

/**
 * The weights (summing to 1) of the members' scores `scores[i]` (same-person logits of the
 * validation pairs, members alone) whose weighted mean has the highest AUC on `same`.
 */
export function chooseWeights(
  scores: readonly Float32Array[],
  same: ArrayLike<number>,
  step = GRID_STEP,
): { weights: number[]; auc: number } {
  let best = { weights: [] as number[], auc: -1 };
  const mixed = new Float32Array(same.length);
  for (const weights of simplexGrid(scores.length, step)) {
    mixed.fill(0);
    weights.forEach((w, i) => {
      for (let k = 0; k < mixed.length; k++) mixed[k] += w * scores[i][k];
    });
    const auc = rocAuc(rocCurve(mixed, same));
    if (auc > best.auc + 1e-12) best = { weights, auc };
  }
  return best;
}

/** Logit of a probability (the head's logit back). */
const logit = (p: number) => {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return Math.log(q / (1 - q));
};

/**
 * Fits an ensemble in `options.workDir` from its members' trained parameters
 * (`options.memberWeights`, in the order of `params.members`); the counterpart of
 * `runTraining`, with the same result. A finished fit is found again, not redone.
 */
export async function fitEnsemble(
  params: TrainParams,
  data: TrainData,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  const log = options.log ?? console.log;
  const model = getModel(params.model);
  const memberModels = params.model.split(ENSEMBLE_SEPARATOR).map(getModel);
  const names = params.members ?? [];
  if (model.objective.kind !== "ensemble" || names.length !== memberModels.length) {
    throw new Error(`fitEnsemble: ${params.model} with members ${names.join(", ")}`);
  }
  if (params.epochs !== 1) {
    throw new UserError(`an ensemble is fitted in one pass: epochs must be 1`);
  }
  const done = await finishedFit(options);
  if (done) return done;
  const memberWeights = options.memberWeights ?? [];
  if (memberWeights.length !== names.length) {
    throw new Error("fitEnsemble: the members' trained parameters are missing");
  }
  const started = performance.now();
  const values: ParamArrays = new Map();
  memberModels.forEach((m, i) => {
    for (const p of m.params) {
      const v = memberWeights[i].get(p.name);
      if (!v) throw new UserError(`--members ${names[i]}: its checkpoint lacks ${p.name}`);
      values.set(memberParamName(i, p.name), v);
    }
  });
  values.set(ENSEMBLE_WEIGHTS, new Float32Array(names.length).fill(1));
  const weights = new ModelParams(model, values);
  try {
    const memberScores: Float32Array[] = [];
    for (let i = 0; i < names.length; i++) {
      // A fitted member's own validation scores, when it stored those of these pairs.
      const stored = options.memberMetas?.[i] &&
        reusableValidation(options.memberMetas[i], data.val, TEST_SCORING);
      if (stored) {
        memberScores.push(Float32Array.from(stored, logit));
        continue;
      }
      // Member i alone: its unit embedding, the others' weights 0.
      const alone = Float32Array.from(names, (_, j) => (i === j ? 1 : 0));
      weights.variable(ENSEMBLE_WEIGHTS).assign(tf.tensor1d(alone));
      const val = await scorePairs(weights, {
        faces: data.faces,
        size: data.size,
        pairs: data.val,
        seed: params.seed,
      });
      memberScores.push(Float32Array.from(val.probabilities, logit));
    }
    const chosen = chooseWeights(memberScores, data.val.same);
    const alone = memberScores.map((s) => rocAuc(rocCurve(s, data.val.same)).toFixed(4));
    log(
      `train: ensemble weights chosen on ${data.val.a.length} validation pairs: ${
        names.map((n, i) => `${n} ${chosen.weights[i].toFixed(2)}`).join(", ")
      } (validation AUC ${chosen.auc.toFixed(4)}; alone ${alone.join(", ")})`,
    );
    // Unit embeddings scaled by sqrt(weight): the ensemble's cosine is the weighted mean of the
    // members' cosines, and a fused head (ensemble_model.ts) squares them back.
    weights.variable(ENSEMBLE_WEIGHTS).assign(
      tf.tensor1d(chosen.weights.map((w) => Math.sqrt(w))),
    );
    return await saveFit(weights, params, data, {
      ...options,
      started,
      examplesPerSecond: data.val.a.length * names.length /
        ((performance.now() - started) / 1000),
    });
  } finally {
    weights.dispose();
  }
}
