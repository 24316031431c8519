/**
 * Fitting of `lda` models: no gradient steps, one pass over the training images. The model's
 * fixed descriptor of every training image is centred and reduced by PCA to `components`
 * whitened dimensions; LDA over the training people (those with at least two images) then keeps
 * the embedding size's most discriminative directions: within-person variation is whitened and
 * the spread of the people's means maximised (Belhumeur et al. 1997, "Fisherfaces"). Projection
 * and offset become the model's parameters, written as a one-epoch checkpoint with its
 * validation figures (`fitted_run.ts`), so that every later stage treats it like a trained one.
 *
 * The PCA of the descriptor covariance (thousands of dimensions) is found by subspace iteration
 * with tfjs matrix products, so only `components`-sized eigenproblems are solved in JavaScript.
 * @module
 */
import { noProgress, progressBars, type ProgressFactory } from "../util/progress.ts";
import * as tf from "@tensorflow/tfjs";
import { affineRows, fitPca, offsetOf, type PcaState, pcaTransform } from "../fit/pca.ts";
import { fitLda, type LdaState } from "../fit/lda.ts";
import { faceInputs } from "../evaluate/predict_pairs.ts";
import { ModelParams } from "../model/model_params.ts";
import { getModel } from "../model/registry.ts";
import { UserError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { withObjective } from "./objective.ts";
import { finishedFit, saveFit } from "./fitted_run.ts";
import { fitJointBayesian } from "./fit_joint_bayesian.ts";
import { describeFaces, type DescriptorParams } from "./describe_faces.ts";
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
 * applies. The rows reach the backend `blockRows` at a time (default 1,024).
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
  const pca = fitPca(rows, features, {
    components: options.components,
    whiten: true,
    blockRows: options.blockRows,
    progress: options.progress,
  });
  const lda = fitLda(pcaTransform(pca, rows), pca.components, people, {
    embedding: options.embedding,
  });
  return { ...composeProjection(pca, lda), pca, lda };
}

/** PCA then LDA as one affine map: projection = basis directions, offset = -mean projection. */
export function composeProjection(
  pca: PcaState,
  lda: LdaState,
): { projection: Float32Array; offset: Float32Array } {
  const { features, components } = pca, k = lda.embedding;
  const projection = tf.tidy(() =>
    tf.matMul(
      tf.tensor2d(pca.basis, [features, components]),
      tf.tensor2d(lda.directions, [components, k]),
    ).dataSync() as Float32Array
  );
  return { projection, offset: offsetOf(pca.mean, projection, features, k) };
}

/**
 * `rows` [n, features] times `projection` [features, embedding] plus `offset`, given to the
 * backend a block of rows at a time (as the PCA's data).
 */
export function projectedRows(
  rows: Float32Array,
  features: number,
  fit: { projection: Float32Array; offset: Float32Array },
  embedding: number,
): Float32Array {
  return affineRows(rows, features, { matrix: fit.projection, offset: fit.offset }, embedding);
}

/** What one step of a descriptor pipeline's fit did, for the log and the checkpoint. */
export interface FitStepRecord {
  step: "encoder" | "describe" | "pca" | "lda" | "joint-bayesian";
  seconds: number;
  /** The step's inputs and state in words (sizes, options). */
  summary: string;
}

/**
 * Fits a descriptor model (objective kind `lda`) in `options.workDir`, the counterpart of
 * `runTraining`, with the same inputs and result. Its steps run in turn, each fitted on the
 * training images (`data.train.a`, people `data.train.classes`) as the previous step transformed
 * them: the descriptor's encoder (Fisher vectors' PCA and Gaussians) on a seeded sample of the
 * faces, describing every face, a whitened PCA, LDA over the people, and the Joint Bayesian
 * scorer of the LDA values when the model has one. Each step shows its progress and is recorded
 * with its time. A finished fit is found again, not redone. It is one pass: `params.epochs` is 1.
 */
export async function fitDescriptorPipeline(
  params: TrainParams,
  data: TrainData,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  const log = options.log ?? console.log;
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
  const steps: FitStepRecord[] = [];
  const timed = async <T>(
    step: FitStepRecord["step"],
    run: () => T | Promise<T>,
    summary: (result: T) => string,
  ): Promise<T> => {
    const begun = performance.now();
    const result = await run();
    const record = { step, seconds: (performance.now() - begun) / 1000, summary: summary(result) };
    steps.push(record);
    log(`train: ${step}: ${record.summary} (${record.seconds.toFixed(1)}s)`);
    return result;
  };
  const values = new Map<string, Float32Array>();
  const encoderParams: DescriptorParams = new Map();
  const encoder = model.fitted.encoder;
  if (encoder) {
    // A seeded sample of the training faces is enough for the encoder's fit.
    const sample = new Rng(params.seed).shuffle(Array.from(data.train.a))
      .slice(0, ENCODER_FACES);
    const fitted = await timed("encoder", () =>
      encoder.fit(
        (start, count) =>
          tf.tensor4d(faceInputs(data.faces, data.size, sample, start, count), [
            count,
            data.size,
            data.size,
            1,
          ]),
        sample.length,
        params.seed,
        progress,
      ), () => `${encoder.params.join(", ")} fitted on ${sample.length} training faces`);
    const specs = new Map(model.params.map((p) => [p.name, p.shape]));
    for (const name of encoder.params) {
      values.set(name, fitted.get(name)!);
      encoderParams.set(name, { values: fitted.get(name)!, shape: specs.get(name)! });
    }
  }
  const { rows, features } = await timed(
    "describe",
    async () => {
      const described = await describeFaces(
        model,
        data.faces,
        data.size,
        data.train.a,
        encoderParams,
        { progress },
      );
      if (!objective.mirrorAveraged) return described;
      // Each row averaged with its mirror image's, as test and compare score faces.
      const mirrors = await describeFaces(
        model,
        mirroredFaces(data.faces, data.size, data.train.a),
        data.size,
        Int32Array.from(data.train.a, (_, i) => i),
        encoderParams,
        { progress },
      );
      for (let i = 0; i < described.rows.length; i++) {
        described.rows[i] = (described.rows[i] + mirrors.rows[i]) / 2;
      }
      return described;
    },
    (d) =>
      `${d.features} descriptor values for each of ${data.train.a.length} images${
        objective.mirrorAveraged ? ", each averaged with its mirror image's" : ""
      }`,
  );
  const pca = await timed(
    "pca",
    () =>
      fitPca(rows, features, {
        components: objective.components,
        whiten: true,
        progress,
      }),
    (p) => `${p.components} whitened components of ${features} values`,
  );
  const lda = await timed(
    "lda",
    () =>
      fitLda(pcaTransform(pca, rows), pca.components, classes, {
        embedding: model.embeddingSize,
      }),
    (l) => `${l.embedding} directions over ${l.people} people with two images or more`,
  );
  const fit = composeProjection(pca, lda);
  values.set(model.fitted.projection, fit.projection).set(model.fitted.offset, fit.offset);
  const jb = model.fitted.jointBayesian;
  if (jb) {
    const scorer = await timed(
      "joint-bayesian",
      () =>
        fitJointBayesian(
          projectedRows(rows, features, fit, model.embeddingSize),
          model.embeddingSize,
          classes,
        ),
      () => `fitted on the ${model.embeddingSize}-value LDA projections`,
    );
    values.set(jb.a, scorer.a).set(jb.g, scorer.g).set(jb.bias, Float32Array.of(scorer.bias));
  }
  const weights = new ModelParams(model, values);
  try {
    return await saveFit(weights, params, data, {
      ...options,
      started,
      examplesPerSecond: data.train.a.length / ((performance.now() - started) / 1000),
      steps,
    });
  } finally {
    weights.dispose();
  }
}

/** The faces `images` of `faces` (size x size bytes each), each mirrored left to right, in order. */
export function mirroredFaces(
  faces: Uint8Array,
  size: number,
  images: ArrayLike<number>,
): Uint8Array {
  const area = size * size;
  const out = new Uint8Array(images.length * area);
  for (let k = 0; k < images.length; k++) {
    const from = images[k] * area, to = k * area;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) out[to + y * size + x] = faces[from + y * size + size - 1 - x];
    }
  }
  return out;
}
