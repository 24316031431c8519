/**
 * Fitting of descriptor models (objective `lda`): no gradient steps, one pass over the training
 * images through the pipeline's steps, each fitted on what the previous one gave: the
 * descriptor's encoder (Fisher vectors: SIFT PCA and Gaussian mixture), the descriptor of every
 * training image, a whitened PCA to `components` dimensions and LDA over the training people
 * (`lib/fit/`; or the PCA alone), then the head's scorer of those values (Joint Bayesian, or a
 * joint metric learnt on pairs). PCA and LDA compose into the model's projection and offset;
 * with the encoder's and the scorer's parameters they are written as a one-epoch checkpoint with
 * its validation figures and the steps' times (`fitted_run.ts`), so that every later stage
 * treats the model like a trained one.
 * @module
 */
import { noProgress, progressBars, type ProgressFactory } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import { fitTransformPca, offsetOf, type PcaState } from "../fit/pca.ts";
import { fitLda, type LdaState, ldaTransform } from "../fit/lda.ts";
import { faceInputs } from "../evaluate/predict_pairs.ts";
import { ModelParams } from "../model/model_params.ts";
import { getModel } from "../model/registry.ts";
import { UserError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { withObjective } from "./objective.ts";
import { finishedFit, saveFit } from "./fitted_run.ts";
import { fitJointBayesian, type JointBayesianFit } from "./fit_joint_bayesian.ts";
import { fitPairMetric } from "../fit/pair_metric.ts";
import { describeFaces, type DescriptorParams, mirroredFaces } from "./describe_faces.ts";
import { withBlasThreads } from "../backend/native_kernels.ts";
import type { PairMetricHead, SiameseModel } from "../model/siamese_model.ts";
import {
  type TrainData,
  type TrainParams,
  type TrainRunOptions,
  type TrainRunResult,
} from "./trainer.ts";

/** Training faces a fitted descriptor's encoder is fitted on (a seeded sample). */
const ENCODER_FACES = 1500;

/**
 * The projection [features, embedding] and offset [embedding] of PCA (`components`, whitened)
 * then LDA for descriptors `rows` of people `people` (one id per row): the two steps fitted in
 * turn (`lib/fit/pca.ts`, `lib/fit/lda.ts`) and composed into one affine map, which the model
 * applies. The rows reach the backend `blockRows` at a time (default: `pcaBlockRows`, at most 1,024).
 */
export function fitLdaProjection(
  rows: Float32Array,
  features: number,
  people: ArrayLike<number>,
  options: {
    components: number;
    embedding: number;
    blockRows?: number;
    /** Shows the PCA's passes over the data (minutes for Fisher vectors); default none. */
    progress?: ProgressFactory;
  },
): { projection: Float32Array; offset: Float32Array; pca: PcaState; lda: LdaState } {
  const n = people.length;
  const d = Math.min(options.components, features, n - 1);
  if (options.embedding > d) {
    throw new UserError(
      `lda: ${options.embedding} embedding dimensions need at least ${
        options.embedding + 1
      } training images and descriptor values (got ${n} and ${features})`,
    );
  }
  const { state: pca, components } = fitTransformPca(rows, features, {
    components: options.components,
    whiten: true,
    blockRows: options.blockRows,
    progress: options.progress,
  });
  const lda = fitLda(components, pca.components, people, { embedding: options.embedding });
  return { ...composeProjection(pca, lda), pca, lda };
}

/**
 * PCA then LDA as one affine map: projection = basis directions, offset = -mean projection;
 * without `lda`, the PCA alone.
 */
export function composeProjection(
  pca: PcaState,
  lda?: LdaState,
): { projection: Float32Array; offset: Float32Array } {
  const { features, components } = pca;
  if (!lda) {
    const basis = Float32Array.from(pca.basis);
    return { projection: basis, offset: offsetOf(pca.mean, basis, features, components) };
  }
  const k = lda.embedding;
  // Out of the tidy by assignment: tidy walks a returned array element by element.
  let projection: Float32Array = new Float32Array(0);
  tf.tidy(() => {
    projection = tf.matMul(
      tf.tensor2d(pca.basis, [features, components]),
      tf.tensor2d(lda.directions, [components, k]),
    ).dataSync() as Float32Array;
  });
  return { projection, offset: offsetOf(pca.mean, projection, features, k) };
}

/** What one step of a descriptor pipeline's fit did, for the log and the checkpoint. */
export interface FitStepRecord {
  step: "encoder" | "describe" | "pca" | "lda" | "joint-bayesian" | "pair-metric";
  seconds: number;
  /** The step's inputs and state in words (sizes, options). */
  summary: string;
}

/**
 * Runs the steps of a fit, timing and logging each. Every step but describing (whose workers
 * share the faces) runs on this thread alone, so its matrix products may use every core.
 */
class StepTimer {
  readonly records: FitStepRecord[] = [];
  constructor(readonly log: (line: string) => void) {}

  /** Runs `step`, then records its time and `summary` of its result. */
  async run<T>(
    step: FitStepRecord["step"],
    fit: () => T | Promise<T>,
    summary: (result: T) => string,
  ): Promise<T> {
    const begun = performance.now();
    const result = step === "describe"
      ? await fit()
      : await withBlasThreads(navigator.hardwareConcurrency || 1, fit);
    const record = { step, seconds: (performance.now() - begun) / 1000, summary: summary(result) };
    this.records.push(record);
    this.log(`train: ${step}: ${record.summary} (${record.seconds.toFixed(1)}s)`);
    return result;
  }
}

/**
 * Fits a descriptor model (objective kind `lda`) in `options.workDir`, the counterpart of
 * `runTraining`, with the same inputs and result. Its steps run in turn, each fitted on the
 * training images (`data.train.a`, people `data.train.classes`) as the previous step transformed
 * them: the descriptor's encoder (Fisher vectors' PCA and Gaussians) on a seeded sample of the
 * faces, describing every face, a whitened PCA, LDA over the people (unless the model has none),
 * and the head's scorer of those values when the model has one (Joint Bayesian, or a metric
 * learnt on pairs). Each step shows its progress and is recorded
 * with its time. A finished fit is found again, not redone. It is one pass: `params.epochs` is 1.
 */
export async function fitDescriptorPipeline(
  params: TrainParams,
  data: TrainData,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  const model = withObjective(getModel(params.model), params.objective);
  const objective = model.objective;
  if (objective.kind !== "lda" || !model.fitted) {
    throw new Error(`model ${model.name} is not a fitted (lda) model`);
  }
  if (params.epochs !== 1) {
    throw new UserError(`model ${model.name} is fitted in one pass: epochs must be 1`);
  }
  const done = await finishedFit(options);
  if (done) return done;
  const classes = data.train.classes;
  if (!classes) throw new Error("fitDescriptorPipeline: the training images need their people");
  const started = performance.now();
  const progress = options.progress === false ? noProgress : progressBars;
  const steps = new StepTimer(options.log ?? console.log);
  const encoder = model.fitted.encoder
    ? await steps.run(
      "encoder",
      () => fitEncoder(model, data, params.seed, progress),
      (e) => `${[...e.keys()].join(", ")} fitted on ${ENCODER_FACES} training faces at most`,
    )
    : new Map();
  const mirrorAveraged = objective.mirrorAveraged ?? false;
  const { rows, features } = await steps.run(
    "describe",
    () => describeTraining(model, data, encoder, { mirrorAveraged, progress }),
    (d) =>
      `${d.features} descriptor values for each of ${data.train.a.length} images${
        mirrorAveraged ? ", each averaged with its mirror image's" : ""
      }`,
  );
  // The training rows' components come with the PCA (its last pass over them), for the LDA.
  const { state: pca, components } = await steps.run(
    "pca",
    () =>
      fitTransformPca(rows, features, { components: objective.components, whiten: true, progress }),
    (p) => `${p.state.components} whitened components of ${features} values`,
  );
  if (objective.pcaOnly && pca.components !== model.embeddingSize) {
    throw new UserError(
      `${model.name}: the PCA kept ${pca.components} components (the training images' rank), not the ${model.embeddingSize} its embedding needs without LDA`,
    );
  }
  const lda = objective.pcaOnly ? undefined : await steps.run(
    "lda",
    () => fitLda(components, pca.components, classes, { embedding: model.embeddingSize }),
    (l) => `${l.embedding} directions over ${l.people} people with two images or more`,
  );
  const fit = composeProjection(pca, lda);
  const values = new Map([...encoder].map(([name, p]) => [name, p.values]));
  values.set(model.fitted.projection, fit.projection).set(model.fitted.offset, fit.offset);
  const jb = model.fitted.jointBayesian;
  if (jb) {
    // The composed projection of the rows, from their PCA components (no pass over the rows).
    const embeddings = lda ? ldaTransform(lda, components) : components;
    const scorer = await fitScorer(jb, embeddings, model, classes, params.seed, steps);
    values.set(jb.a, scorer.a).set(jb.g, scorer.g).set(jb.bias, Float32Array.of(scorer.bias));
  }
  const weights = new ModelParams(model, values);
  try {
    return await saveFit(weights, params, data, {
      ...options,
      started,
      examplesPerSecond: data.train.a.length / ((performance.now() - started) / 1000),
      steps: steps.records,
    });
  } finally {
    weights.dispose();
  }
}

/**
 * The head's A, G and bias on the training rows' `embeddings` (LDA's values, or PCA's without
 * LDA): Joint Bayesian (its closed form, or refined by `head.em` EM iterations), or a joint
 * metric learnt on pairs (`head.pairMetric`).
 */
function fitScorer(
  head: { pairMetric?: PairMetricHead; em?: number },
  embeddings: Float32Array,
  model: SiameseModel,
  classes: ArrayLike<number>,
  seed: number,
  steps: StepTimer,
): Promise<JointBayesianFit> {
  const dim = model.embeddingSize;
  const input = `the ${dim}-value ${
    model.objective.kind === "lda" && model.objective.pcaOnly ? "PCA" : "LDA"
  } projections`;
  const metric = head.pairMetric;
  if (!metric) {
    return steps.run(
      "joint-bayesian",
      () => fitJointBayesian(embeddings, dim, classes, { em: head.em }),
      (fit) => `fitted on ${input}${emSummary(fit.logLikelihoods, classes.length)}`,
    );
  }
  return steps.run(
    "pair-metric",
    () => fitPairMetric(embeddings, dim, classes, { ...metric, seed }),
    (m) =>
      `rank ${metric.rank}, ${metric.steps} steps on pairs of ${input} (loss ${
        m.losses[0].toFixed(3)
      } -> ${m.losses.at(-1)!.toFixed(3)})`,
  );
}

/** How the EM went, for the step's line: its iterations and the log-likelihood a row. */
function emSummary(logLikelihoods: number[] | undefined, rows: number): string {
  if (!logLikelihoods) return "";
  const perRow = (l: number) => (l / rows).toFixed(3);
  return `, ${logLikelihoods.length - 1} EM iterations (log-likelihood a row ${
    perRow(logLikelihoods[0])
  } -> ${perRow(logLikelihoods.at(-1)!)})`;
}

/** The descriptor's encoder fitted on a seeded sample of the training faces (enough for it). */
async function fitEncoder(
  model: SiameseModel,
  data: TrainData,
  seed: number,
  progress: ProgressFactory,
): Promise<DescriptorParams> {
  const encoder = model.fitted!.encoder!;
  const sample = new Rng(seed).shuffle(Array.from(data.train.a)).slice(0, ENCODER_FACES);
  const fitted = await encoder.fit(
    (start, count) =>
      tf.tensor4d(faceInputs(data.faces, data.size, sample, start, count), [
        count,
        data.size,
        data.size,
        1,
      ]),
    sample.length,
    seed,
    progress,
  );
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  return new Map(
    encoder.params.map((name) => [name, { values: fitted.get(name)!, shape: shapes.get(name)! }]),
  );
}

/**
 * The descriptors of the training images; with `mirrorAveraged`, each averaged with its mirror
 * image's, as test and compare score faces (the projection after it is linear).
 */
async function describeTraining(
  model: SiameseModel,
  data: TrainData,
  encoder: DescriptorParams,
  options: { mirrorAveraged: boolean; progress: ProgressFactory },
): Promise<{ rows: Float32Array; features: number }> {
  const { faces, size } = data, images = data.train.a;
  const progress = options.progress;
  const described = await describeFaces(model, faces, size, images, encoder, { progress });
  if (!options.mirrorAveraged) return described;
  const mirrored = mirroredFaces(faces, size, images);
  const order = Int32Array.from(images, (_, i) => i);
  const mirrors = await describeFaces(model, mirrored, size, order, encoder, { progress });
  for (let i = 0; i < described.rows.length; i++) {
    described.rows[i] = (described.rows[i] + mirrors.rows[i]) / 2;
  }
  return described;
}
