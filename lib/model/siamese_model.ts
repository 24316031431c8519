/**
 * What every siamese model definition provides, so that models are named, swappable
 * definitions and the training loop never changes when a better one is added.
 * @module
 */
import type { ProgressFactory } from "../util/progress.ts";
import type * as tf from "@tensorflow/tfjs";
import type { FaceBox } from "../config/defaults.ts";

/** A joint metric learnt on pairs (`lib/fit/pair_metric.ts`): its rank and gradient steps. */
export interface PairMetricHead {
  rank: number;
  steps: number;
}

/** How a parameter starts. */
export type Initializer = "orthogonal" | "zeros" | "ones";

/** One parameter tensor of a model. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: Initializer;
  /** false for batch-norm moving statistics, which the optimiser does not touch. */
  trainable: boolean;
  /** "branch": used by `embed` (shared by both faces); "head": used by `head`. */
  part: "branch" | "head";
}

/** Randomness and bookkeeping a forward pass needs, provided by the caller. */
export interface ForwardContext {
  /** Training mode: dropout and noise active, batch statistics used and recorded. */
  training: boolean;
  /** Inverted dropout (identity when not training). */
  dropout(x: tf.Tensor, rate: number): tf.Tensor;
  /** Additive Gaussian noise (identity when not training). */
  gaussianNoise(x: tf.Tensor, sigma: number): tf.Tensor;
  /**
   * Records a new observation of a non-trainable parameter (a batch-norm moving statistic),
   * applied after the step as a moving average.
   */
  updateState(name: string, value: tf.Tensor): void;
}

/**
 * What a model learns from.
 * - `pair`: same/different labels of image pairs, binary cross-entropy on the head's logit
 *   (the original project's objective; LFW's image-restricted setting allows only this).
 * - `cosface`: identity labels of single images, large-margin cosine loss (CosFace, Wang et al.
 *   2018) over the training people: every image learns against every identity at once, far
 *   more signal per step (LFW's "unrestricted" setting). Verification then compares the two
 *   embeddings by cosine similarity.
 * - `lda`: identity labels too, but no gradient training (see below).
 */
export type ObjectiveSpec =
  | { kind: "pair" }
  | {
    kind: "cosface";
    /** Logit scale s. */
    scale: number;
    /** Additive cosine margin m subtracted from the true class's cosine. */
    margin: number;
  }
  | {
    /**
     * No gradient training: a linear projection of a fixed descriptor, fitted in one pass on the
     * training people's images (PCA to `components` whitened dimensions, then LDA to the
     * embedding size; `lib/train/fit_lda.ts`). Verification is the cosine of the projections, or
     * the model's Joint Bayesian head (`fitted.jointBayesian`).
     */
    kind: "lda";
    /** PCA components kept before the LDA. */
    components: number;
    /** No LDA: the embedding is the PCA's whitened components (`lda=0` of a pipeline). */
    pcaOnly?: boolean;
    /**
     * Fit on each training image's descriptor averaged with its mirror image's: what `test`
     * (mirror averaging, the default) and `compare` give the projection, so that PCA, LDA and
     * Joint Bayesian learn the variation of the embeddings they score.
     */
    mirrorAveraged?: boolean;
  }
  | {
    /**
     * No training of its own: trained identity models' unit embeddings, weighted and
     * concatenated (`ensemble_model.ts`), the weights chosen on validation pairs.
     */
    kind: "ensemble";
  };

/** Part of a model built from tfjs layers: its output and which parameters fill which layer. */
export interface LayersPart {
  output: tf.SymbolicTensor;
  /** Each layer with the names of the parameters that are its weights, in its weight order. */
  weighted: [tf.layers.Layer, string[]][];
}

/** A siamese face-pair model: an embedding network (the branch) plus an objective. */
export interface SiameseModel {
  /** Registry name, e.g. "seed". */
  name: string;
  /** One-line description for reports. */
  description: string;
  /** Side of the square grey input images. */
  inputSize: number;
  /**
   * The crop of LFW's frame the model was measured with: `train` prepares its faces from it when
   * `--box` is not given (without it, `PREPARE_DEFAULTS.box`, LFWcrop's).
   */
  preparedBox?: Readonly<FaceBox>;
  /** Training batch size (pairs) the model was designed for. */
  batchSize: number;
  /** Length of the branch's embedding vector. */
  embeddingSize: number;
  /** Momentum of the batch-norm moving statistics (recorded by `updateState`). */
  movingAverageMomentum: number;
  /** What the model learns from. */
  objective: ObjectiveSpec;
  /**
   * The modules that define the model (its own: `new URL(import.meta.url)`): they and what they
   * import are the model's code in the key of each stage that runs it, beside the training code
   * of its objective's kind (`stageCode` in `lib/pipeline/stages.ts`). The registry, which loads
   * every model, is no part of it: an edit of one model leaves the others' artifacts current.
   */
  code: readonly URL[];
  /**
   * How an identity model's head compares two embeddings: "cosine" (the default: a scaled
   * cosine, so a projection may go before it and ensembles fuse members' cosines into one) or
   * "learnt" (a head with fitted parameters of its own, such as a Joint Bayesian one). Pair
   * models always have a learnt head.
   */
  verification?: "cosine" | "learnt";
  /**
   * Fitted models (`lda` objective) only: the descriptor of images [batch, size, size, 1]
   * (as `embed` receives them; `params`: the model's parameters, of which an encoder's are
   * read) and the parameters the fit fills, so that `embed` is
   * `descriptor(x) projection + offset`.
   */
  fitted?: {
    descriptor(images: tf.Tensor4D, params: Record<string, tf.Tensor>): tf.Tensor2D;
    /**
     * A descriptor that is itself fitted (Fisher vectors: a Gaussian mixture): its parameters,
     * fitted first on `count` training faces (`faces(start, n)`: [n, size, size, 1]).
     */
    encoder?: {
      params: string[];
      fit(
        faces: (start: number, count: number) => tf.Tensor4D,
        count: number,
        seed: number,
        /** Shows the fit's steps (sampling, iterations). */
        progress?: ProgressFactory,
      ): Promise<Map<string, Float32Array>>;
    };
    projection: string;
    offset: string;
    /**
     * A Joint Bayesian head (`joint_bayesian.ts`): the parameters holding A, G and the bias,
     * which the fit fills from the training people's projected descriptors.
     */
    jointBayesian?: {
      a: string;
      g: string;
      bias: string;
      /**
       * Fit A, G and the bias as a joint metric learnt on pairs of training people
       * (`lib/fit/pair_metric.ts`) instead of Joint Bayesian's closed form.
       */
      pairMetric?: PairMetricHead;
      /** EM iterations refining the closed form's covariances (`fit_joint_bayesian.ts`). */
      em?: number;
    };
  };
  /** Every parameter, in a fixed order (the order of checkpoints). */
  params: ParamSpec[];
  /**
   * The shared branch: embeddings [batch, d] of images [batch, size, size, 1]. It is called
   * once per side, with its own context, so that the two sides can run on two threads.
   */
  embed(params: Record<string, tf.Tensor>, images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D;
  /**
   * Same-person logits [batch, 1] from the two sides' embeddings: the verification score
   * (a learnt head for `pair` models, a scaled cosine similarity for identity objectives).
   */
  head(
    params: Record<string, tf.Tensor>,
    left: tf.Tensor2D,
    right: tf.Tensor2D,
    ctx: ForwardContext,
  ): tf.Tensor2D;
  /**
   * The same network from tfjs layers (inference mode), for the TensorFlow.js export: the
   * branch on one face, and the head from two embeddings to the same-person logit. Every layer
   * name starts with `prefix` (default none): one layers model needs unique layer names, and
   * an ensemble may hold two members of one family (two runs of one CNN).
   */
  layers: {
    branch(face: tf.SymbolicTensor, prefix?: string): LayersPart;
    head(left: tf.SymbolicTensor, right: tf.SymbolicTensor, prefix?: string): LayersPart;
  };
}

/** The contexts of one forward pass: one per side for the branch, one for the head. */
export interface PairContexts {
  left: ForwardContext;
  right: ForwardContext;
  head: ForwardContext;
}

/** The whole forward pass: logits [batch, 1] for left and right images. */
export function forwardPairs(
  model: SiameseModel,
  params: Record<string, tf.Tensor>,
  left: tf.Tensor4D,
  right: tf.Tensor4D,
  ctx: PairContexts,
): tf.Tensor2D {
  return model.head(
    params,
    model.embed(params, left, ctx.left),
    model.embed(params, right, ctx.right),
    ctx.head,
  );
}

/** Total number of scalars in a model's parameters (trainable and not). */
export function parameterCount(model: SiameseModel): { total: number; trainable: number } {
  let total = 0;
  let trainable = 0;
  for (const p of model.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    total += n;
    if (p.trainable) trainable += n;
  }
  return { total, trainable };
}

/** Whether `model` scores a pair by the scaled cosine of its two embeddings. */
export function comparesByCosine(model: SiameseModel): boolean {
  return model.objective.kind !== "pair" && (model.verification ?? "cosine") === "cosine";
}
