/**
 * `deno task train NAME`: trains the siamese network of experiment NAME (running prepare and
 * split first if needed), checkpointing each epoch; rerunning resumes.
 * @module
 */
import { artifactsRoot, TRAIN_DEFAULTS } from "../lib/config/defaults.ts";
import { memberModels, memberSplit } from "../lib/pipeline/ensemble_members.ts";
import { BACKEND_CHOICES } from "../lib/backend/select_backend.ts";
import { ArtifactStore } from "../lib/pipeline/artifact_store.ts";
import {
  PREPARE_HELP,
  PREPARE_OPTIONS,
  readSplitOptions,
  SPLIT_HELP,
  SPLIT_OPTIONS,
} from "../lib/pipeline/stage_options.ts";
import { trainExperiment, type TrainOptions } from "../lib/pipeline/train_stage.ts";
import { FOLDS, trainTenFold } from "../lib/pipeline/ten_fold.ts";
import {
  memberNames,
  preparedBox,
  preparedSize,
  readTrainParams,
  TRAIN_HELP,
  TRAIN_OPTIONS,
} from "../lib/pipeline/train_options.ts";
import { ExperimentIndex } from "../lib/pipeline/experiments.ts";
import {
  choiceOption,
  intOption,
  parseDuration,
  parseTaskArgs,
  runTask,
  stringOption,
  validateExperimentName,
} from "../lib/util/cli.ts";
import { UserError } from "../lib/util/errors.ts";
import { formatSeconds } from "../lib/util/progress.ts";
import { shellWord } from "../lib/util/cli.ts";

const HELP = `Usage: deno task train NAME [options]
Trains experiment NAME; rerun the same command to resume after an interruption.
  --time-budget T  stop after the epoch that would end past T (e.g. 30m, 2h); rerun to go on
  --backend B      ${BACKEND_CHOICES.join(" | ")} (default ${TRAIN_DEFAULTS.backend})
  --threads N      training threads with the wasm backend, 1 or 2 (default: 2 on 2+ cores)
  --force          retrain from scratch even if NAME exists with other parameters
  --keep-finished  NAME finished by earlier code with these options is kept as it is, as the
                   ten folds of lfw-view2 are, when its prepared faces and split still hold
                   today's data (else, or unfinished, it is trained again with this code);
                   without it such a NAME is refused
${TRAIN_HELP}
${SPLIT_HELP}
${PREPARE_HELP}
  train prepares the faces at the model's input size when it is larger than --size's default
  (a --size below it is refused), and from the model's own crop when it has one and --box is
  not given (docs/models.md's model table says which models have one)
  --protocol lfw-view2 without --fold trains the official ten folds, NAME_fold1 .. NAME_fold10,
  one after the other (each cached and resumable); \`deno task test NAME\` then evaluates them
  ten-fold`;

await runTask("train", async () => {
  const args = parseTaskArgs(Deno.args, {
    ...PREPARE_OPTIONS,
    ...SPLIT_OPTIONS,
    ...TRAIN_OPTIONS,
    "time-budget": { type: "string" },
    backend: { type: "string" },
    threads: { type: "string" },
    force: { type: "boolean" },
    "keep-finished": { type: "boolean" },
  });
  if (args.values.help) return console.log(HELP);
  if (args.positionals.length > 1) {
    throw new UserError(`unexpected argument "${args.positionals[1]}"`);
  }
  const name = validateExperimentName(args.positionals[0]);
  const split = readSplitOptions(args);
  const budget = stringOption(args, "time-budget");
  const load = stringOption(args, "load");
  if (load !== undefined) validateExperimentName(load);
  const store = new ArtifactStore(artifactsRoot());
  const members = memberNames(args);
  const index = new ExperimentIndex(store.root);
  if (members) {
    // An ensemble uses its members' faces and split: options naming others would be ignored.
    const data = [...Object.keys(PREPARE_OPTIONS), ...Object.keys(SPLIT_OPTIONS)].filter((o) =>
      args.values[o] !== undefined
    );
    if (data.length > 0) {
      throw new UserError(
        `--members and --${data[0]}: an ensemble uses its members' prepared faces and split`,
      );
    }
  }
  const trainSplit = members ? await memberSplit(index, members[0], split) : split;
  const params = readTrainParams(
    args,
    trainSplit.params.seed,
    members && await memberModels(index, members),
  );
  if (!members) {
    split.prepare.params.size = preparedSize(args, split.prepare.params.size, params.model);
    split.prepare.params.box = preparedBox(args, split.prepare.params.box, params.model);
  }
  const trainOptions: TrainOptions = {
    name,
    split: trainSplit,
    params,
    backend: choiceOption(args, "backend", BACKEND_CHOICES) ?? TRAIN_DEFAULTS.backend,
    timeBudgetSeconds: budget === undefined ? undefined : parseDuration(budget, "time-budget"),
    load,
    threads: intOption(args, "threads", { min: 1, max: 2 }),
    force: Boolean(args.values.force),
    keepFinished: Boolean(args.values["keep-finished"]),
    command: ["deno task train", ...Deno.args.map(shellWord)].join(" "),
    log: (line) => {
      watchEpochs(line);
      console.log(line);
    },
  };
  // Ctrl-C: say where the run stopped and how to go on (the checkpoint of the last finished
  // epoch is already on disk: it is written atomically after every epoch).
  let lastEpoch: { done: number; of: number; experiment: string } | undefined;
  let training = name;
  const watchEpochs = (line: string) => {
    const fold = /^train: .*: fold (\d+) of/.exec(line);
    if (fold) training = `${name}_fold${fold[1]}`;
    const epoch = /^epoch (\d+)\/(\d+):/.exec(line);
    if (epoch) lastEpoch = { done: Number(epoch[1]), of: Number(epoch[2]), experiment: training };
  };
  Deno.addSignalListener("SIGINT", function interrupted() {
    console.error(
      `\ntrain: interrupted ${
        lastEpoch
          ? `after epoch ${lastEpoch.done} of ${lastEpoch.of} of "${lastEpoch.experiment}" (the epoch under way is lost)`
          : "before the first epoch finished"
      }; rerun the same command to resume from the last checkpoint`,
    );
    // Die by the signal itself (exit status 130), as without this handler: exit handlers would
    // run while the training workers may be inside native code, which can crash at teardown.
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.kill(Deno.pid, "SIGINT");
  });
  if (trainSplit.params.protocol === "lfw-view2" && trainSplit.params.fold === undefined) {
    const result = await trainTenFold(store, trainOptions);
    console.log(
      result.complete === FOLDS
        ? `train: ${name}: all ${FOLDS} folds trained; evaluate with \`deno task test ${name}\``
        : `train: ${name}: ${result.complete} of ${FOLDS} folds trained; rerun the same command to continue`,
    );
    return;
  }
  const outcome = await trainExperiment(store, trainOptions);
  if (outcome.artifact) {
    const info = outcome.artifact.manifest.info as {
      final?: { valAccuracy: number };
      trainingSeconds?: number;
    };
    console.log(
      `train: ${name} ${
        /^(lda|ensemble)$/.test(String((info as { objective?: { kind?: string } }).objective?.kind))
          ? "fitted"
          : `complete: ${outcome.epochsDone} epoch${outcome.epochsDone === 1 ? "" : "s"}`
      }, validation accuracy ${
        info.final ? `${(100 * info.final.valAccuracy).toFixed(2)}%` : "?"
      }, ` +
        `${formatSeconds(info.trainingSeconds ?? 0)} of training; ${outcome.artifact.dir}`,
    );
  } else {
    console.log(
      `train: ${name} paused after epoch ${outcome.epochsDone}; checkpoint in ${outcome.partialDir}`,
    );
  }
});
