/**
 * Command-line options of the `train` task and the training parameters they give, with their
 * defaults from `lib/config/defaults.ts` (the data stages' options are in `stage_options.ts`).
 *
 * @example
 * ```ts
 * const args = parseTaskArgs(["--model", "seed64_cosface", "--margin", "0.4"], TRAIN_OPTIONS);
 * const params = readTrainParams(args, 42); // params.objective.margin === 0.4
 * ```
 * @module
 */
import {
  ADAM_DEFAULTS,
  AUGMENT_DEFAULTS,
  type FaceBox,
  TRAIN_DEFAULTS,
} from "../config/defaults.ts";
import { scaledAugmentParams } from "../augment/affine_augmenter.ts";
import { ENSEMBLE_SEPARATOR } from "../model/ensemble_model.ts";
import { getModel, MODELS } from "../model/registry.ts";
import { LR_SCHEDULES } from "../train/lr_schedule.ts";
import type { TrainParams } from "../train/trainer.ts";
import {
  choiceOption,
  intOption,
  numberOption,
  type OptionSpec,
  type ParsedArgs,
  stringOption,
  validateExperimentName,
} from "../util/cli.ts";
import { UserError } from "../util/errors.ts";

/** The options that set {@linkcode TrainParams}. */
export const TRAIN_OPTIONS: OptionSpec = {
  model: { type: "string" },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "lr-schedule": { type: "string" },
  "warmup-epochs": { type: "string" },
  "weight-decay": { type: "string" },
  augment: { type: "string" },
  margin: { type: "string" },
  "logit-scale": { type: "string" },
  "min-images-per-person": { type: "string" },
  members: { type: "string" },
};

const SCHEDULES = LR_SCHEDULES.join(" | ");
const { schedule: SCHEDULE, warmupEpochs: WARMUP } = TRAIN_DEFAULTS;

/** Help text of {@linkcode TRAIN_OPTIONS}. */
export const TRAIN_HELP = `
  --model NAME     ${Object.keys(MODELS).join(" | ")} (default ${TRAIN_DEFAULTS.model})
  --epochs N       epochs (default ${TRAIN_DEFAULTS.epochs})
  --batch-size N   pairs per step (default ${TRAIN_DEFAULTS.batchSize})
  --lr X           Adam's learning rate (default ${ADAM_DEFAULTS.learningRate})
  --lr-schedule S  ${SCHEDULES} (default: ${SCHEDULE.pair} for pair models,
                   ${SCHEDULE.cosface} for identity models)
  --warmup-epochs N  epochs of linear learning-rate warm-up (default: ${WARMUP.pair} for pair
                   models, ${WARMUP.cosface} for identity models)
  --weight-decay X  decoupled weight decay of weight matrices and kernels: each step shrinks
                   them by learning rate x X (default ${ADAM_DEFAULTS.weightDecay})
  --augment S      strength of the training augmentation: scales its rotation, shear, scale
                   and translation ranges (default 1, the original's; 0 keeps flips only)
  --margin M       identity objectives: CosFace's cosine margin (default: the model's)
  --logit-scale S  identity objectives: CosFace's logit scale (default: the model's)
  --min-images-per-person N  identity objectives: fewest training images a person needs to
                   be a class (default ${TRAIN_DEFAULTS.minImagesPerPerson})
  --members A,B    an ensemble of the trained identity experiments A, B, ...: their models,
                   weighted as chosen on validation pairs, on their faces and split (so no
                   data options); fold by fold for ten-fold members`;

/** The experiment names of `--members A,B` (undefined without the option). */
export function memberNames(args: ParsedArgs): string[] | undefined {
  const list = stringOption(args, "members");
  if (list === undefined) return undefined;
  const names = list.split(",").map((n) => n.trim());
  if (names.length < 2 || names.some((n) => n === "")) {
    throw new UserError(`--members "${list}": name two experiments or more, separated by commas`);
  }
  for (const name of names) validateExperimentName(name);
  if (new Set(names).size !== names.length) {
    throw new UserError(`--members "${list}": an experiment is named twice`);
  }
  return names;
}

/**
 * Reads the training parameters; `seed` is the split's (one seed per experiment). With
 * `--members`, `memberModels` are the members' models (read from their records by the caller),
 * whose ensemble is the model.
 */
export function readTrainParams(
  args: ParsedArgs,
  seed: number,
  memberModels?: readonly string[],
): TrainParams {
  const members = memberNames(args);
  if (members && stringOption(args, "model") !== undefined) {
    throw new UserError("--model and --members: an ensemble's model is made of its members'");
  }
  if (members && memberModels?.length !== members.length) {
    throw new Error("readTrainParams: --members needs the members' models");
  }
  const modelName = members
    ? memberModels!.join(ENSEMBLE_SEPARATOR)
    : stringOption(args, "model") ?? TRAIN_DEFAULTS.model;
  const model = getModel(modelName);
  const margin = numberOption(args, "margin", { min: 0, max: 1 });
  const logitScale = numberOption(args, "logit-scale", { min: 1, max: 1000 });
  const objective = model.objective;
  if (objective.kind !== "cosface" && (margin !== undefined || logitScale !== undefined)) {
    throw new UserError(
      `--${margin !== undefined ? "margin" : "logit-scale"}: model ${modelName} ${
        objective.kind === "pair"
          ? "trains on pairs (binary cross-entropy)"
          : "is fitted in one pass"
      }, which has no margin or logit scale`,
    );
  }
  const epochs = intOption(args, "epochs", { min: 1, max: 100_000 });
  const fitted = objective.kind === "lda" || objective.kind === "ensemble";
  if (fitted && epochs !== undefined && epochs !== 1) {
    throw new UserError(
      `--epochs ${epochs}: model ${modelName} is fitted in one pass (${
        objective.kind === "lda" ? "PCA + LDA" : "weights chosen on validation"
      }), not trained by epochs`,
    );
  }
  return {
    model: modelName,
    epochs: fitted ? 1 : epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: intOption(args, "batch-size", { min: 1, max: 65_536 }) ?? TRAIN_DEFAULTS.batchSize,
    seed,
    augment: scaledAugmentParams(
      AUGMENT_DEFAULTS,
      numberOption(args, "augment", { min: 0, max: 4 }) ?? 1,
    ),
    adam: {
      ...ADAM_DEFAULTS,
      learningRate: numberOption(args, "lr", { min: 1e-8, max: 10 }) ??
        ADAM_DEFAULTS.learningRate,
      weightDecay: numberOption(args, "weight-decay", { min: 0, max: 1e4 }) ??
        ADAM_DEFAULTS.weightDecay,
    },
    schedule: choiceOption(args, "lr-schedule", LR_SCHEDULES) ??
      TRAIN_DEFAULTS.schedule[objective.kind],
    warmupEpochs: intOption(args, "warmup-epochs", { min: 0, max: 100_000 }) ??
      TRAIN_DEFAULTS.warmupEpochs[objective.kind],
    minImagesPerPerson: intOption(args, "min-images-per-person", { min: 1, max: 1000 }) ??
      TRAIN_DEFAULTS.minImagesPerPerson,
    // The objective actually trained, so the manifest says it even when it is the model's own.
    ...(objective.kind === "cosface"
      ? {
        objective: {
          ...objective,
          margin: margin ?? objective.margin,
          scale: logitScale ?? objective.scale,
        },
      }
      : fitted
      ? { objective }
      : {}),
    ...(members ? { members } : {}),
  };
}

/**
 * The crop to prepare faces from for `model`: `--box` when given, else the model's own
 * (`preparedBox`, the crop it was measured with), else `box` (the prepared default).
 */
export function preparedBox(args: ParsedArgs, box: FaceBox, model: string): FaceBox {
  if (args.values.box !== undefined) return box;
  const own = getModel(model).preparedBox;
  return own ? [...own] : box;
}

/**
 * The size to prepare faces at for `model`: `--size` when given, else the larger of the
 * prepared default (`size`) and the model's input size, so that a model reading larger faces
 * (`fisher100_jb`) gets them without `--size`, while smaller ones share the default faces and
 * resize them down.
 */
export function preparedSize(args: ParsedArgs, size: number, model: string): number {
  if (args.values.size !== undefined) return size;
  return Math.max(size, getModel(model).inputSize);
}
