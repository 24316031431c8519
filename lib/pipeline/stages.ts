/**
 * The pipeline's stages in one declared table, like DVC's `dvc.yaml`: for each stage, the inputs
 * whose keys enter its key (its deps), where its parameters come from (its params), the files it
 * writes (its outs) and the code that makes it. A stage run's key is computed from this
 * declaration: its code is {@linkcode stageCode} of the stage and the experiment's model, its
 * inputs are checked against the declared ones ({@linkcode checkInputs}), and `status` says which
 * of them changed. The artifact store refuses to finalise a build that lacks a declared output;
 * `status` and `clean` walk this table.
 *
 * A stage's code is the code it runs for the experiment: its own modules, and for a stage that
 * runs a model, that model's definition (`SiameseModel.code`) and the training code of the
 * model's kind (the gradient loop for networks, the descriptor fit for fitted models), not every
 * model the registry knows nor the training paths the model does not take. An edit of one model
 * leaves the artifacts of experiments with other models current.
 *
 * @example
 * ```ts
 * import { STAGE_TABLE, stageCode } from "./stages.ts";
 * for (const s of STAGE_TABLE) console.log(s.name, s.outputs.join(", "));
 * const code = stageCode("train", [getModel("fisher100_512_jb")]); // for the store's key
 * ```
 * @module
 */
import { FACE_FILES } from "../data/face_array.ts";
import { TRAIN_FILES } from "../train/train_files.ts";
import type { ObjectiveSpec, SiameseModel } from "../model/siamese_model.ts";
import type { CodePart } from "./code_fingerprint.ts";

/** Files of a split artifact. */
export const SPLIT_FILES = {
  pairs: "pairs.json",
  stats: "stats.json",
  /** Who is in training, validation and test (names), for guards and reports. */
  people: "people.json",
  /** The images a model may train on (indices into the faces), for single-image objectives. */
  trainImages: "train_images.json",
} as const;

/** Files of a test artifact (the galleries only when there are errors to show). */
export const TEST_FILES = {
  metrics: "metrics.json",
  roc: "roc.json",
  predictions: "predictions.json",
  errors: "errors.json",
  falsePositives: "false_positives.png",
  falseNegatives: "false_negatives.png",
  /** The fitted projection (`--projection`), which compare and export apply too. */
  projection: "projection.json",
} as const;

/** Files of a ten-fold evaluation artifact. */
export const TEN_FOLD_FILES = {
  metrics: "metrics.json",
  roc: "roc.json",
  predictions: "predictions.json",
} as const;

/** Where one input of a stage comes from (the key under its role is that input's). */
export interface InputDeclaration {
  /** An earlier stage's artifact (its key), or something outside the store (a content hash...). */
  from: "prepare" | "split" | "train" | "outside";
  /** What it is, in words. */
  what: string;
  /** Given to some runs only. */
  optional?: boolean;
  /** One per item, its role numbered from 1 (`member1`, `member2`, ...). */
  numbered?: boolean;
}

/** Where a stage's parameters come from. */
export interface ParamsDeclaration {
  /** What they are, in words. */
  what: string;
  /**
   * The experiment record's `options` field that keeps them (`status` compares an artifact's
   * parameters with it); absent where the command line gives them each time.
   */
  recorded?: "prepare" | "split" | "train";
}

/** The code of a stage, from which {@linkcode stageCode} makes the code part of its key. */
export interface CodeDeclaration {
  /** The stage's own entry modules: they and every project module they load are its code... */
  entries: readonly URL[];
  /**
   * ...except these, which the stage reaches only to run the experiment's model: the registry
   * (it loads every model) and the training code of each kind of model. What of them a run uses
   * comes from `model`.
   */
  boundaries: readonly URL[];
  /**
   * For a stage that runs a model: the entry modules of the code it runs for a model of each
   * objective kind, beside the model's own definition (`SiameseModel.code`). Absent for stages
   * that run no model.
   */
  model?: Readonly<Record<ObjectiveSpec["kind"], readonly URL[]>>;
}

/** A stage's declaration. */
export interface StageDeclaration {
  /** The stage's name, as `deno task status` prints it. */
  name: "prepare" | "split" | "train" | "test" | "ten-fold test";
  /** The store folder its artifacts live in (the ten-fold evaluation shares `test`). */
  dir: "prepare" | "split" | "train" | "test";
  /** What it does, in a line. */
  description: string;
  /** Its inputs by role (the names under which their keys enter the stage's key). */
  inputs: Readonly<Record<string, InputDeclaration>>;
  /** Its parameters. */
  params: ParamsDeclaration;
  /** Files every artifact of the stage has. */
  outputs: readonly string[];
  /** Files an artifact may have. */
  optionalOutputs: readonly string[];
  /** Its code. */
  code: CodeDeclaration;
  /** Whether an interrupted build resumes from its work folder. */
  resumable: boolean;
}

const here = (path: string) => new URL(path, import.meta.url);

/** The packages deno.json pins (TensorFlow.js, sharp...): code every stage runs. */
const PINNED_PACKAGES = here("../../deno.json");
/**
 * The native kernels (loaded through FFI as a built library: its source is the code), which the
 * networks' convolutions and the Fisher vectors' SIFT and mixture moments run on when built.
 */
const NATIVE_KERNELS_SOURCE = here("../../native/conv_kernels.c");

/**
 * The model registry: it loads every model, while a stage runs one, whose own code (its
 * `SiameseModel.code`) stands for it in the key.
 */
const REGISTRY = here("../model/registry.ts");
const NETWORK_TRAINING = here("../train/trainer.ts");
const DESCRIPTOR_FIT = here("../train/fit_lda.ts");
const ENSEMBLE_FIT = here("../train/fit_ensemble.ts");
/** A fitted descriptor model's scoring through the describing workers (its `test`). */
const DESCRIPTOR_SCORES = here("../evaluate/descriptor_scores.ts");
/**
 * What the model stages reach only to run the model (see `CodeDeclaration.boundaries`): the
 * registry, the training of each kind of model, a fitted descriptor's scoring, and the ensemble
 * model's definition (the train stage reads its members' name separator from it; an ensemble's
 * `code` holds it).
 */
const MODEL_DISPATCH = [
  REGISTRY,
  NETWORK_TRAINING,
  DESCRIPTOR_FIT,
  ENSEMBLE_FIT,
  DESCRIPTOR_SCORES,
  here("../model/ensemble_model.ts"),
];

/**
 * The pipeline's machinery, a boundary of every stage: the modules that declare the stages,
 * compute keys, store artifacts, check workers' code and keep experiment records, and the
 * stages' own modules, which a later stage reaches only to run an earlier one (whose artifact's
 * key is its input). None of them computes what an artifact holds, so editing them stales no
 * artifact; a stage's own module is still its code (an entry is followed, boundary or not). A
 * later stage reads an earlier one's files through modules of their own (`face_array.ts`,
 * `split_files.ts`), which stay in its key.
 */
const PIPELINE_MACHINERY = [
  here("./stages.ts"),
  here("./artifact_store.ts"),
  here("./code_fingerprint.ts"),
  here("./content_hash.ts"),
  here("./worker_code.ts"),
  here("./experiments.ts"),
  here("./record_artifacts.ts"),
  here("./same_outputs.ts"),
  here("./existing_run.ts"),
  here("./run_recorder.ts"),
  here("./starting_weights.ts"),
  here("./tool_versions.ts"),
  here("./prepare_stage.ts"),
  here("./split_stage.ts"),
  here("./train_stage.ts"),
];

/** Every stage, in pipeline order. */
export const STAGE_TABLE: readonly StageDeclaration[] = [
  {
    name: "prepare",
    dir: "prepare",
    description: "cuts, scales and greys every face of an image folder into one array",
    inputs: {
      images: { from: "outside", what: "the content hash of the image folder" },
      decoder: { from: "outside", what: "the JPEG decoder (native libjpeg grey, or sharp)" },
    },
    params: {
      what: "PREPARE_DEFAULTS (--size, --box, --colour, --skip-bad)",
      recorded: "prepare",
    },
    outputs: Object.values(FACE_FILES),
    optionalOutputs: [],
    code: {
      entries: [
        here("./prepare_stage.ts"),
        PINNED_PACKAGES,
        // The native JPEG decoder, loaded through FFI as a built library.
        here("../../native/face_decode.c"),
      ],
      boundaries: PIPELINE_MACHINERY,
    },
    resumable: false,
  },
  {
    name: "split",
    dir: "split",
    description: "draws training, validation and test pairs (seed protocol, LFW View 1 or View 2)",
    inputs: {
      faces: { from: "prepare", what: "the prepared faces" },
      pairs: {
        from: "outside",
        what: "the content hash of the protocol's pairs file (LFW protocols)",
        optional: true,
      },
      people: {
        from: "outside",
        what: "the content hash of the protocol's people file (LFW protocols)",
        optional: true,
      },
    },
    params: {
      what: "SPLIT_DEFAULTS (--protocol, --fold, --train-pairs, --val-pairs, --seed, ...)",
      recorded: "split",
    },
    outputs: Object.values(SPLIT_FILES),
    optionalOutputs: [],
    code: { entries: [here("./split_stage.ts"), PINNED_PACKAGES], boundaries: PIPELINE_MACHINERY },
    resumable: false,
  },
  {
    name: "train",
    dir: "train",
    description: "trains a model, checkpointing after every epoch",
    inputs: {
      faces: { from: "prepare", what: "the prepared faces" },
      split: { from: "split", what: "the split" },
      compute: { from: "outside", what: "the backend and kernel set" },
      init: { from: "train", what: "the starting weights (--load)", optional: true },
      member: {
        from: "train",
        what: "an ensemble's members' trained models (--members)",
        optional: true,
        numbered: true,
      },
    },
    params: {
      what: "TRAIN_DEFAULTS, ADAM_DEFAULTS, AUGMENT_DEFAULTS (--model, --epochs, --lr, ...)",
      recorded: "train",
    },
    outputs: Object.values(TRAIN_FILES),
    optionalOutputs: [],
    code: {
      entries: [
        here("./train_stage.ts"),
        PINNED_PACKAGES,
        NATIVE_KERNELS_SOURCE,
      ],
      boundaries: [...MODEL_DISPATCH, ...PIPELINE_MACHINERY],
      model: {
        pair: [NETWORK_TRAINING],
        cosface: [NETWORK_TRAINING],
        lda: [DESCRIPTOR_FIT],
        ensemble: [ENSEMBLE_FIT],
      },
    },
    resumable: true,
  },
  {
    name: "test",
    dir: "test",
    description: "evaluates a trained model at the validation-chosen threshold",
    inputs: {
      train: { from: "train", what: "the trained model (or an unfinished run's checkpoint)" },
      faces: { from: "prepare", what: "the prepared faces" },
      split: { from: "split", what: "the split" },
    },
    params: { what: "TEST_DEFAULTS (--tta, --no-flip, --train-eval-pairs, --gallery-pairs)" },
    outputs: [TEST_FILES.metrics, TEST_FILES.roc, TEST_FILES.predictions, TEST_FILES.errors],
    optionalOutputs: [TEST_FILES.falsePositives, TEST_FILES.falseNegatives, TEST_FILES.projection],
    // Evaluation runs the model, not its training (a fitted descriptor's through its workers).
    code: {
      entries: [here("./test_stage.ts"), PINNED_PACKAGES, NATIVE_KERNELS_SOURCE],
      boundaries: [...MODEL_DISPATCH, ...PIPELINE_MACHINERY],
      model: { pair: [], cosface: [], lda: [DESCRIPTOR_SCORES], ensemble: [DESCRIPTOR_SCORES] },
    },
    resumable: false,
  },
  {
    name: "ten-fold test",
    dir: "test",
    description: "evaluates the ten fold models of an LFW View 2 experiment",
    inputs: {
      faces: { from: "prepare", what: "the prepared faces (the same for every fold)" },
      pairs: { from: "outside", what: "the content hash of pairs.txt" },
      fold: { from: "train", what: "each fold's trained model", numbered: true },
    },
    params: { what: "TEST_DEFAULTS" },
    outputs: Object.values(TEN_FOLD_FILES),
    optionalOutputs: [],
    code: {
      entries: [here("./ten_fold.ts"), PINNED_PACKAGES, NATIVE_KERNELS_SOURCE],
      boundaries: [...MODEL_DISPATCH, ...PIPELINE_MACHINERY],
      model: { pair: [], cosface: [], lda: [], ensemble: [] },
    },
    resumable: false,
  },
];

/** The declaration named `name`. */
export function stage(name: StageDeclaration["name"]): StageDeclaration {
  return STAGE_TABLE.find((s) => s.name === name)!;
}

/** The store folders, in pipeline order. */
export const STORE_DIRS: readonly StageDeclaration["dir"][] = [
  ...new Set(STAGE_TABLE.map((s) => s.dir)),
];

/** The code of a run of a declared stage: the stage's name and the parts hashed into its key. */
export interface StageCode {
  stage: StageDeclaration["name"];
  parts: readonly CodePart[];
}

/**
 * The code of stage `name` run for `models` (the experiment's model; the ten-fold test's fold
 * models; none for the data stages): the stage's own modules up to its boundaries, and each
 * model's definition with the code of its kind, followed everywhere but into the registry.
 */
export function stageCode(
  name: StageDeclaration["name"],
  models: readonly SiameseModel[] = [],
): StageCode {
  const code = stage(name).code;
  if (code.model && models.length === 0) {
    throw new Error(`stageCode: the ${name} stage runs a model: name it`);
  }
  if (!code.model && models.length > 0) {
    throw new Error(`stageCode: the ${name} stage runs no model`);
  }
  const parts: CodePart[] = [{ entries: code.entries, boundaries: code.boundaries }];
  const seen = new Set<string>();
  for (const model of models) {
    const entries = [...model.code, ...code.model![model.objective.kind]];
    const id = entries.map((u) => u.href).sort().join("\n");
    if (seen.has(id)) continue;
    seen.add(id);
    parts.push({ entries, boundaries: [REGISTRY, ...PIPELINE_MACHINERY] });
  }
  return { stage: name, parts };
}

/** Whether `code` is a declared stage's ({@linkcode stageCode}) rather than a list of modules. */
export function isStageCode(code: readonly URL[] | StageCode): code is StageCode {
  return !Array.isArray(code) && "parts" in code;
}

/** The declaration a run's code comes from, if any. */
export function declarationOf(code: readonly URL[] | StageCode): StageDeclaration | undefined {
  return isStageCode(code) ? stage(code.stage) : undefined;
}

/**
 * The declared input of `role` (`member2` is the numbered `member`'s), or undefined.
 */
export function inputDeclaration(
  declaration: StageDeclaration,
  role: string,
): InputDeclaration | undefined {
  const own = declaration.inputs[role];
  if (own && !own.numbered) return own;
  const numbered = /^(.*?)([1-9][0-9]*)$/.exec(role);
  const base = numbered ? declaration.inputs[numbered[1]] : undefined;
  return base?.numbered ? base : undefined;
}

/**
 * Throws an Error unless `inputs` are those stage `name` declares: no undeclared role, every
 * input that is not optional given (a numbered one at least once).
 */
export function checkInputs(
  name: StageDeclaration["name"],
  inputs: Readonly<Record<string, string>>,
): void {
  const declaration = stage(name);
  const roles = Object.keys(inputs);
  const unknown = roles.filter((role) => !inputDeclaration(declaration, role));
  const missing = Object.entries(declaration.inputs).filter(([role, input]) =>
    !input.optional &&
    !roles.some((r) => r === role || (input.numbered && inputDeclaration(declaration, r) === input))
  ).map(([role]) => role);
  if (unknown.length > 0 || missing.length > 0) {
    throw new Error(
      `${name}: inputs ${
        [
          unknown.length ? `${unknown.join(", ")} not declared` : "",
          missing.length ? `${missing.join(", ")} missing` : "",
        ].filter((x) => x).join(", ")
      } (lib/pipeline/stages.ts)`,
    );
  }
}
