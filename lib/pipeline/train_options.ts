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
  load: { type: "string" },
};

/**
 * The options a fitted model (objective `lda`: the descriptor models; `ensemble`: `--members`)
 * refuses, with what it lacks: it is made in one pass, not trained by steps, so each would only
 * change its key (a refit with the same result). `--epochs` other than 1, `--margin` and
 * `--logit-scale` are refused too; an ensemble also refuses `--min-images-per-person`.
 */
export const FITTED_REFUSES: Readonly<Record<string, string>> = {
  "batch-size": "no batches",
  lr: "no learning rate",
  "lr-schedule": "no learning-rate schedule",
  "warmup-epochs": "no learning-rate warm-up",
  "weight-decay": "no weight decay",
  augment: "no training augmentation (it sees the faces as they are)",
  load: "no starting weights (it is fitted from scratch)",
};

const FITTED_LIST = ["epochs", ...Object.keys(FITTED_REFUSES), "margin", "logit-scale"]
  .map((o) => `--${o}`).join(", ");

const SCHEDULES = LR_SCHEDULES.join(" | ");
const { schedule: SCHEDULE, warmupEpochs: WARMUP } = TRAIN_DEFAULTS;

/** Help text of {@linkcode TRAIN_OPTIONS}. */
export const TRAIN_HELP = `
  --model NAME     ${
  wrap(
    `${
      Object.keys(MODELS).join(" | ")
    } (default ${TRAIN_DEFAULTS.model}); or a descriptor pipeline composed of steps, e.g. frame=head_and_face/crop=head/fisher:gaussians=256/pca=300/jb; or a network reading a crop of a frame, e.g. frame=head_and_face/crop=face100/seed64_cosface (docs/models.md)`,
    19,
  ).trimStart()
}
  --epochs N       epochs (default ${TRAIN_DEFAULTS.epochs})
  --batch-size N   pairs per step (default ${TRAIN_DEFAULTS.batchSize})
  --lr X           Adam's learning rate (default ${ADAM_DEFAULTS.learningRate})
  --lr-schedule S  ${SCHEDULES} (default: ${SCHEDULE.pair} for pair models,
                   ${SCHEDULE.cosface} for identity models)
  --warmup-epochs N  epochs of linear learning-rate warm-up, at most --epochs (default:
                   ${WARMUP.pair} for pair models, ${WARMUP.cosface} for identity models)
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
                   data options); fold by fold for ten-fold members
  --load OTHER     start from experiment OTHER's trained weights (same model; refused when
                   OTHER trained on a person of this experiment's test set)
${
  wrap(
    `Fitted models (${
      Object.values(MODELS).filter((m) => m.objective.kind === "lda").map((m) => m.name).join(", ")
    }, and --members ensembles) are made in one pass, not trained by steps: they refuse ${FITTED_LIST} (--epochs 1 is accepted); ensembles also refuse --min-images-per-person. Pair models (seed) refuse --margin, --logit-scale and --min-images-per-person.`,
  )
}`;

/** `text` in lines of at most 92 characters, each indented by `indent` spaces. */
function wrap(text: string, indent = 2): string {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && indent + line.length + 1 + word.length > 92) {
      lines.push(pad + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, pad + line].join("\n");
}

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
  const onePass = `model ${modelName} is fitted in one pass (${
    objective.kind === "lda" ? "PCA, LDA and its head" : "weights chosen on validation"
  })`;
  if (fitted && epochs !== undefined && epochs !== 1) {
    throw new UserError(`--epochs ${epochs}: ${onePass}, not trained by epochs`);
  }
  if (fitted) {
    // Each of these would only change the key: a refit under another name, with the same result.
    const given = Object.keys(FITTED_REFUSES).find((o) => args.values[o] !== undefined);
    if (given) {
      throw new UserError(
        `--${given}: ${onePass}, not trained by steps: it has ${FITTED_REFUSES[given]}`,
      );
    }
  }
  const minImages = intOption(args, "min-images-per-person", { min: 1, max: 1000 });
  if (minImages !== undefined && (objective.kind === "pair" || objective.kind === "ensemble")) {
    throw new UserError(
      `--min-images-per-person: model ${modelName} ${
        objective.kind === "pair"
          ? "trains on pairs (binary cross-entropy)"
          : "is fitted on its members' validation scores"
      }, not on people as classes, so it has no fewest images per class`,
    );
  }
  const warmup = intOption(args, "warmup-epochs", { min: 0, max: 100_000 });
  const totalEpochs = fitted ? 1 : epochs ?? TRAIN_DEFAULTS.epochs;
  if (warmup !== undefined && warmup > totalEpochs) {
    throw new UserError(
      `--warmup-epochs ${warmup}: longer than the run's ${totalEpochs} epoch${
        totalEpochs === 1 ? "" : "s"
      } (--epochs), so the learning rate would never reach --lr; give at most ${totalEpochs}`,
    );
  }
  return {
    // A composed pipeline under its written-out name: one name, and one key, per pipeline.
    model: model.name,
    epochs: totalEpochs,
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
    warmupEpochs: warmup ?? TRAIN_DEFAULTS.warmupEpochs[objective.kind],
    minImagesPerPerson: minImages ?? TRAIN_DEFAULTS.minImagesPerPerson,
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
 * resize them down. A `--size` below the model's input size is refused.
 */
export function preparedSize(args: ParsedArgs, size: number, model: string): number {
  const input = getModel(model).inputSize;
  if (args.values.size === undefined) return Math.max(size, input);
  if (size < input) {
    // The model would read them scaled up: detail lost for nothing, under a key of their own.
    throw new UserError(
      `--size ${size}: model ${model} reads ${input}x${input} faces, which faces prepared smaller ` +
        `would only be scaled up to; give --size ${input} or more, or leave it out`,
    );
  }
  return size;
}
