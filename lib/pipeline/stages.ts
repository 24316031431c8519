/**
 * The pipeline's stages in one declared table, like DVC's `dvc.yaml`: for each stage, what it
 * reads (the inputs whose keys enter its key), where its parameters come from, the files it
 * writes and the code that makes it. The stage modules take their code and output names from
 * here; the artifact store refuses to finalise a build that lacks a declared output; `status`
 * and `clean` walk this table.
 *
 * @example
 * ```ts
 * import { STAGE_TABLE } from "./stages.ts";
 * for (const s of STAGE_TABLE) console.log(s.name, s.outputs.join(", "));
 * ```
 * @module
 */
import { FACE_FILES } from "../data/face_array.ts";
import { TRAIN_FILES } from "../train/train_files.ts";

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

/** A stage's declaration. */
export interface StageDeclaration {
  /** The stage's name, as `deno task status` prints it. */
  name: "prepare" | "split" | "train" | "test" | "ten-fold test";
  /** The store folder its artifacts live in (the ten-fold evaluation shares `test`). */
  dir: "prepare" | "split" | "train" | "test";
  /** What it does, in a line. */
  description: string;
  /** Its inputs by role (the names under which their keys enter the stage's key). */
  inputs: Readonly<Record<string, string>>;
  /** Where its parameters come from. */
  params: string;
  /** Files every artifact of the stage has. */
  outputs: readonly string[];
  /** Files an artifact may have. */
  optionalOutputs: readonly string[];
  /** Entry modules: they and every project module they load are hashed into the key. */
  code: readonly URL[];
  /** Whether an interrupted build resumes from its work folder. */
  resumable: boolean;
}

const here = (path: string) => new URL(path, import.meta.url);

/** Every stage, in pipeline order. */
export const STAGE_TABLE: readonly StageDeclaration[] = [
  {
    name: "prepare",
    dir: "prepare",
    description: "cuts, scales and greys every face of an image folder into one array",
    inputs: {
      images: "content hash of the image folder",
      decoder: "the JPEG decoder (native libjpeg grey, or sharp)",
    },
    params: "PREPARE_DEFAULTS (--size, --box, --colour, --skip-bad)",
    outputs: Object.values(FACE_FILES),
    optionalOutputs: [],
    code: [
      here("./prepare_stage.ts"),
      // The native JPEG decoder, loaded through FFI as a built library.
      here("../../native/face_decode.c"),
    ],
    resumable: false,
  },
  {
    name: "split",
    dir: "split",
    description: "draws training, validation and test pairs (seed protocol, LFW View 1 or View 2)",
    inputs: {
      faces: "prepare",
      pairs: "content hash of the protocol's pairs file (LFW protocols)",
      people: "content hash of the protocol's people file (LFW protocols)",
    },
    params: "SPLIT_DEFAULTS (--protocol, --fold, --train-pairs, --val-pairs, --seed, ...)",
    outputs: Object.values(SPLIT_FILES),
    optionalOutputs: [],
    code: [here("./split_stage.ts")],
    resumable: false,
  },
  {
    name: "train",
    dir: "train",
    description: "trains a model, checkpointing after every epoch",
    inputs: {
      faces: "prepare",
      split: "split",
      compute: "the backend and kernel set",
      init: "train (of --load, when given)",
    },
    params: "TRAIN_DEFAULTS, ADAM_DEFAULTS, AUGMENT_DEFAULTS (--model, --epochs, --lr, ...)",
    outputs: Object.values(TRAIN_FILES),
    optionalOutputs: [],
    code: [
      here("./train_stage.ts"),
      // Loaded through FFI as a built library: its source is the code.
      here("../../native/conv_kernels.c"),
    ],
    resumable: true,
  },
  {
    name: "test",
    dir: "test",
    description: "evaluates a trained model at the validation-chosen threshold",
    inputs: { model: "train", faces: "prepare", split: "split" },
    params: "TEST_DEFAULTS (--tta, --no-flip, --train-eval-pairs, --gallery-pairs)",
    outputs: [TEST_FILES.metrics, TEST_FILES.roc, TEST_FILES.predictions, TEST_FILES.errors],
    optionalOutputs: [TEST_FILES.falsePositives, TEST_FILES.falseNegatives, TEST_FILES.projection],
    code: [here("./test_stage.ts")],
    resumable: false,
  },
  {
    name: "ten-fold test",
    dir: "test",
    description: "evaluates the ten fold models of an LFW View 2 experiment",
    inputs: { fold1: "train", "...": "train (each fold)", pairs: "content hash of pairs.txt" },
    params: "TEST_DEFAULTS",
    outputs: Object.values(TEN_FOLD_FILES),
    optionalOutputs: [],
    code: [here("./ten_fold.ts")],
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

/** The declaration whose code is `code` (the same array object), if any. */
export function declarationOf(code: readonly URL[]): StageDeclaration | undefined {
  return STAGE_TABLE.find((s) => s.code === code);
}
