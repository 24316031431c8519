/**
 * Every default parameter of the pipeline, in one place. Tasks fill their options from here,
 * and each artifact's manifest records the values actually used.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AdamParams } from "../train/adam.ts";
import type { AugmentParams } from "../augment/affine_augmenter.ts";
import { UserError } from "../util/errors.ts";

/**
 * The LFW data folder: `$FACE_COMPARER_LFW`, else `../shared/lfw` beside the project root
 * (where this repository's CI and development machines keep their read-only copy).
 */
export function lfwDataRoot(): string {
  return Deno.env.get("FACE_COMPARER_LFW") ??
    join(fileURLToPath(new URL("../..", import.meta.url)), "..", "shared", "lfw");
}

/**
 * Where artifacts live: `$FACE_COMPARER_ARTIFACTS`, else `artifacts/` in the project root. Set
 * but empty is a UserError (it would put the store's folders into the folder a task runs in).
 */
export function artifactsRoot(): string {
  const set = Deno.env.get("FACE_COMPARER_ARTIFACTS");
  if (set !== undefined && set.trim() === "") {
    throw new UserError(
      "FACE_COMPARER_ARTIFACTS is set but empty: name the folder artifacts live in, or unset it for the project's artifacts/",
    );
  }
  return set ?? join(fileURLToPath(new URL("../..", import.meta.url)), "artifacts");
}

/** Default image folder: the 150x150 original LFW copy, the closest to LFWcrop's source. */
export function defaultImagesDir(): string {
  return join(lfwDataRoot(), "lfw-original-150");
}

/** Default paths of the official protocol files. */
export function defaultProtocolFiles(): {
  pairs: string;
  people: string;
  pairsDevTest: string;
  peopleDevTrain: string;
} {
  const dir = join(lfwDataRoot(), "protocol");
  return {
    pairs: join(dir, "pairs.txt"),
    people: join(dir, "people.txt"),
    pairsDevTest: join(dir, "pairsDevTest.txt"),
    peopleDevTrain: join(dir, "peopleDevTrain.txt"),
  };
}

/** A crop of LFW's 250x250 frame: [left, top, right, bottom], right and bottom exclusive. */
export type FaceBox = [number, number, number, number];

/**
 * The crops the models here were measured with. `lfwcrop` is LFWcrop's (the original's faces,
 * eyebrows to mouth, 83x83); `face100` a 100x100 square a little wider (forehead to chin), read by
 * the descriptor models; `head` 126x150 with hair, ears and chin, read by `fisher100_512_jb`.
 */
export const FACE_BOXES = Object.freeze({
  lfwcrop: Object.freeze([83, 92, 166, 175] as const),
  face100: Object.freeze([75, 84, 175, 184] as const),
  head: Object.freeze([62, 52, 188, 202] as const),
});

/** Parameters of the `prepare` stage. */
export interface PrepareParams {
  /** The crop of the 250x250 frame. */
  box: FaceBox;
  /** Output side length in pixels. */
  size: number;
  /** true: one grey channel; false: three colour channels. */
  grey: boolean;
  /** Skip unreadable images with a warning instead of failing. */
  skipBad: boolean;
}

/**
 * Defaults of `prepare`: LFWcrop_grey's box, 64x64, greyscale (`train` takes a model's own
 * crop, `SiameseModel.preparedBox`, when it has one).
 */
export const PREPARE_DEFAULTS: PrepareParams = {
  box: [...FACE_BOXES.lfwcrop],
  size: 64,
  grey: true,
  skipBad: false,
};

/** The split protocols. */
export const PROTOCOLS = ["seed", "lfw-view1", "lfw-view2"] as const;
/** One of {@linkcode PROTOCOLS}. */
export type Protocol = typeof PROTOCOLS[number];

/** Parameters of the `split` stage. */
export interface SplitParams {
  protocol: Protocol;
  /** Random seed of the sampler. */
  seed: number;
  /** Validation pairs (half same, half different). */
  valPairs: number;
  /** Training pairs (half same, half different). */
  trainPairs: number;
  /** Test pairs for the seed protocol (0 = no test set, as the original project). */
  testPairs: number;
  /** View 2 test fold, 1..10 (lfw-view2 only). */
  fold?: number;
  /**
   * Share of the protocol's training people held out of training, from whom the validation
   * pairs are drawn (lfw-view1 / lfw-view2), so that model selection and the threshold see only
   * people the model never trained on. The `seed` protocol ignores it (image-disjoint only).
   */
  valPeopleShare: number;
}

/** Defaults of `split`: the original project's sampler and sizes. */
export const SPLIT_DEFAULTS: SplitParams = {
  protocol: "seed",
  seed: 42,
  valPairs: 256,
  trainPairs: 40_000,
  testPairs: 0,
  valPeopleShare: 0.1,
};

/** Defaults of `train` (the optimiser and augmentation defaults live with their code). */
export const TRAIN_DEFAULTS = {
  /**
   * The model measured best on View 1 and View 2 at equal training time (README "Accuracy");
   * `--model seed` is the original's network and objective.
   */
  model: "seed64_cosface",
  epochs: 40,
  /** Pairs per step, as the original. */
  batchSize: 128,
  backend: "auto",
  /**
   * Learning-rate schedule by what the model learns from (its objective's kind): pair models
   * keep the original's constant rate; identity models decay it to 0 along a half cosine, the
   * recipe of every identity run in the README's results (`lda` models and ensembles are fitted,
   * not trained by steps: they use neither).
   */
  schedule: { pair: "constant", cosface: "cosine", lda: "constant", ensemble: "constant" },
  /** Epochs of linear learning-rate warm-up, by objective kind as `schedule`. */
  warmupEpochs: { pair: 0, cosface: 1, lda: 0, ensemble: 0 },
  /**
   * Identity objectives: fewest training images a person needs to be a class (1: people with
   * a single image are classes too, measured as good or better on View 1).
   */
  minImagesPerPerson: 1,
} as const;

/** Parameters of the `test` stage. */
export interface TestParams {
  /** Rounds of test-time augmentation (0 = none; the original's mode used 50). */
  tta: number;
  /** Training pairs evaluated (the first N of the split's order); the full set takes minutes. */
  trainEvalPairs: number;
  /** Most confident errors drawn per gallery. */
  galleryPairs: number;
  /** Average each face's embedding with its mirror image's before comparing. */
  flip: boolean;
  /**
   * A projection learnt on the training people's embeddings before the cosine (identity models
   * only): "none", or "wccn" (within-class covariance normalisation).
   */
  projection: "none" | "wccn";
  /** WCCN's ridge: added to the within-class covariance's diagonal (embeddings have norm 1). */
  wccnLambda: number;
}

/** Defaults of `test`. */
export const TEST_DEFAULTS: TestParams = {
  tta: 0,
  trainEvalPairs: 2000,
  galleryPairs: 24,
  flip: true,
  projection: "none",
  wccnLambda: 1e-3,
};

/** Defaults of `bench`. */
export const BENCH_DEFAULTS = {
  /** Timed training steps per round: as many as the PyTorch reference times. */
  steps: 6,
  /** Rounds of (our timed steps, one reference run) whose medians are compared. */
  rounds: 3,
  /** Images prepared for the prepare figure (0 skips it). */
  prepareImages: 2000,
  /** `--backend B`: training steps per backend (two epochs of half), enough to warm a GPU up. */
  backendSteps: 300,
  /** `--backend B`: each backend's run is cut off after this, so both end within 10 minutes. */
  backendTimeoutSeconds: 240,
} as const;

/** Adam's defaults: Keras' (the original's optimiser), no weight decay. */
export const ADAM_DEFAULTS: AdamParams = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  weightDecay: 0,
};

/** Training augmentation: per image a random affine transform, then a random side swap. */
export const AUGMENT_DEFAULTS: AugmentParams = {
  flipProbability: 0.5,
  scaleMax: 1.1,
  rotationDegrees: 20,
  shearDegrees: 6,
  translatePixels: 4,
  swapProbability: 0.5,
};

/** Pairs per forward batch when scoring (validation, test, compare): memory, not results. */
export const EVAL_BATCH_PAIRS = 256;

/**
 * Training threads on the wasm backend when `--threads` is not given: one worker per side of
 * the pair, so at most 2, and no more than the machine's cores.
 */
export function defaultTrainingThreads(): number {
  return Math.min(2, navigator.hardwareConcurrency);
}
