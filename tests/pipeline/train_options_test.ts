import assert from "node:assert/strict";
import {
  ADAM_DEFAULTS,
  AUGMENT_DEFAULTS,
  FACE_BOXES,
  PREPARE_DEFAULTS,
  TRAIN_DEFAULTS,
} from "../../lib/config/defaults.ts";
import { getModel } from "../../lib/model/registry.ts";
import { PREPARE_OPTIONS, readPrepareOptions } from "../../lib/pipeline/stage_options.ts";
import {
  FITTED_REFUSES,
  preparedBox,
  preparedSize,
  readTrainParams,
  TRAIN_HELP,
  TRAIN_OPTIONS,
} from "../../lib/pipeline/train_options.ts";
import { parseTaskArgs } from "../../lib/util/cli.ts";
import { UserError } from "../../lib/util/errors.ts";

const read = (args: string[]) => readTrainParams(parseTaskArgs(args, TRAIN_OPTIONS), 7);

Deno.test("no options give the defaults from lib/config, with the default model's objective", () => {
  assert.deepEqual(read([]), {
    model: TRAIN_DEFAULTS.model,
    epochs: TRAIN_DEFAULTS.epochs,
    batchSize: TRAIN_DEFAULTS.batchSize,
    seed: 7,
    augment: AUGMENT_DEFAULTS,
    adam: ADAM_DEFAULTS,
    schedule: TRAIN_DEFAULTS.schedule.cosface,
    warmupEpochs: TRAIN_DEFAULTS.warmupEpochs.cosface,
    minImagesPerPerson: TRAIN_DEFAULTS.minImagesPerPerson,
    objective: getModel(TRAIN_DEFAULTS.model).objective,
  });
});

Deno.test("the schedule's defaults follow the objective: the original's constant rate for pair models", () => {
  const seed = read(["--model", "seed"]);
  assert.equal(seed.schedule, "constant");
  assert.equal(seed.warmupEpochs, 0);
  assert.equal(seed.objective, undefined);
  const identity = read(["--model", "seed_cosface"]);
  assert.equal(identity.schedule, "cosine");
  assert.equal(identity.warmupEpochs, 1);
  // Explicit options win over both.
  const constant = read([
    "--model",
    "seed_cosface",
    "--lr-schedule",
    "constant",
    "--warmup-epochs",
    "0",
  ]);
  assert.equal(constant.schedule, "constant");
  assert.equal(constant.warmupEpochs, 0);
});

Deno.test("every option reaches the parameters (the experiment's key and manifest)", () => {
  const params = read([
    "--model",
    "seed64_cosface",
    "--epochs",
    "9",
    "--batch-size",
    "64",
    "--lr",
    "0.002",
    "--lr-schedule",
    "cosine",
    "--warmup-epochs",
    "2",
    "--weight-decay",
    "0.5",
    "--margin",
    "0.25",
    "--logit-scale",
    "16",
    "--min-images-per-person",
    "1",
  ]);
  assert.equal(params.model, "seed64_cosface");
  assert.equal(params.epochs, 9);
  assert.equal(params.batchSize, 64);
  assert.deepEqual(params.adam, { ...ADAM_DEFAULTS, learningRate: 0.002, weightDecay: 0.5 });
  assert.equal(params.schedule, "cosine");
  assert.equal(params.warmupEpochs, 2);
  assert.equal(params.minImagesPerPerson, 1);
  assert.deepEqual(params.objective, { kind: "cosface", scale: 16, margin: 0.25 });
  // Without the two objective options the model's own constants are recorded.
  assert.deepEqual(read(["--model", "seed64_cosface"]).objective, {
    kind: "cosface",
    scale: 30,
    margin: 0.35,
  });
});

Deno.test("--augment scales the geometric ranges and keeps the flips", () => {
  const half = read(["--augment", "0.5"]).augment;
  assert.equal(half.rotationDegrees, AUGMENT_DEFAULTS.rotationDegrees / 2);
  assert.equal(half.shearDegrees, AUGMENT_DEFAULTS.shearDegrees / 2);
  assert.equal(half.translatePixels, AUGMENT_DEFAULTS.translatePixels / 2);
  assert.ok(Math.abs(half.scaleMax - Math.sqrt(AUGMENT_DEFAULTS.scaleMax)) < 1e-12);
  assert.equal(half.flipProbability, AUGMENT_DEFAULTS.flipProbability);
  const none = read(["--augment", "0"]).augment;
  assert.deepEqual(none, {
    ...AUGMENT_DEFAULTS,
    scaleMax: 1,
    rotationDegrees: 0,
    shearDegrees: 0,
    translatePixels: 0,
  });
  assert.deepEqual(read(["--augment", "1"]).augment, AUGMENT_DEFAULTS);
});

Deno.test("bad training options are refused with one line naming the option", () => {
  const refused = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => read(args),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
    );
  refused(["--model", "resnet"], /--model: unknown model "resnet"/);
  refused(["--augment=-1"], /--augment: -1 is out of range/);
  refused(["--weight-decay", "lots"], /--weight-decay: "lots" is not a number/);
  refused(["--model", "seed", "--margin", "0.3"], /--margin: model seed trains on pairs/);
  refused(["--model", "seed", "--logit-scale", "20"], /--logit-scale: model seed trains on pairs/);
  refused(["--model", "seed_cosface", "--margin", "2"], /--margin: 2 is out of range/);
  refused(["--lr-schedule", "step"], /--lr-schedule: "step" is not one of/);
});

Deno.test("fitted models: one pass, no margin; --epochs other than 1 is refused", () => {
  const lbp = read(["--model", "lbp_lda"]);
  assert.equal(lbp.epochs, 1);
  assert.deepEqual(lbp.objective, getModel("lbp_lda").objective);
  assert.equal(read(["--model", "lbp_lda", "--epochs", "1"]).epochs, 1);
  assert.throws(
    () => read(["--model", "lbp_lda", "--epochs", "5"]),
    (e: Error) =>
      e instanceof UserError && /--epochs 5: model lbp_lda is fitted in one pass/.test(e.message),
  );
  assert.throws(
    () => read(["--model", "lbp_lda", "--margin", "0.2"]),
    (e: Error) =>
      e instanceof UserError && /--margin: model lbp_lda is fitted in one pass/.test(e.message),
  );
});

Deno.test("options a fitted model ignores are refused, each with one line naming it and why", () => {
  const refused = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => read(args),
      (e: Error) => e instanceof UserError && pattern.test(e.message) && !e.message.includes("\n"),
      args.join(" "),
    );
  const cases: [string[], RegExp][] = [
    [["--lr", "0.01"], /^--lr: .*, not trained by steps: it has no learning rate$/],
    [["--augment", "0"], /^--augment: .*no training augmentation/],
    [["--lr-schedule", "cosine"], /^--lr-schedule: .*no learning-rate schedule/],
    [["--warmup-epochs", "0"], /^--warmup-epochs: .*no learning-rate warm-up/],
    [["--weight-decay", "0"], /^--weight-decay: .*no weight decay/],
    [["--batch-size", "64"], /^--batch-size: .*no batches/],
    [["--load", "other"], /^--load: .*no starting weights/],
  ];
  for (const [args, pattern] of cases) refused(["--model", "fisher_jb", ...args], pattern);
  refused(
    ["--model", "fisher_jb", "--lr", "0.01"],
    /^--lr: model fisher_jb is fitted in one pass \(PCA, LDA and its head\), not trained by steps/,
  );
  // Even at their defaults: the value would change nothing but the key.
  refused(["--model", "lbp_lda", "--lr", "0.001"], /^--lr: model lbp_lda is fitted in one pass/);
  // An lda model learns people as classes: --min-images-per-person is its own.
  assert.equal(read(["--model", "lbp_jb", "--min-images-per-person", "3"]).minImagesPerPerson, 3);
  // Ensembles: the same refusals, and no classes either.
  const ensemble = (list: string[]) =>
    readTrainParams(parseTaskArgs(["--members", "a,b", ...list], TRAIN_OPTIONS), 7, [
      "seed64_cosface",
      "lbp_jb",
    ]);
  for (const [args, pattern] of cases) {
    assert.throws(
      () => ensemble(args),
      (e: Error) =>
        e instanceof UserError && pattern.test(e.message) &&
        e.message.includes("weights chosen on validation"),
      args.join(" "),
    );
  }
  assert.throws(
    () => ensemble(["--min-images-per-person", "3"]),
    (e: Error) =>
      e instanceof UserError &&
      /^--min-images-per-person: model seed64_cosface\+lbp_jb is fitted on its members' validation scores/
        .test(e.message),
  );
});

Deno.test("--min-images-per-person is for identity objectives: a pair model refuses it", () => {
  assert.throws(
    () => read(["--model", "seed", "--min-images-per-person", "3"]),
    (e: Error) =>
      e instanceof UserError &&
      /^--min-images-per-person: model seed trains on pairs \(binary cross-entropy\), not on people as classes/
        .test(e.message),
  );
  assert.equal(
    read(["--model", "seed_cosface", "--min-images-per-person", "3"]).minImagesPerPerson,
    3,
  );
});

Deno.test("a warm-up longer than the run is refused; one as long as the run is accepted", () => {
  assert.throws(
    () => read(["--warmup-epochs", "5", "--epochs", "1"]),
    (e: Error) =>
      e instanceof UserError &&
      /^--warmup-epochs 5: longer than the run's 1 epoch \(--epochs\).*give at most 1$/.test(
        e.message,
      ),
  );
  assert.throws(
    () => read(["--model", "seed", "--warmup-epochs", "41"]),
    /--warmup-epochs 41: longer than the run's 40 epochs/,
  );
  assert.equal(read(["--warmup-epochs", "2", "--epochs", "2"]).warmupEpochs, 2);
  // The identity models' default warm-up (1 epoch) fits the shortest run.
  assert.equal(read(["--epochs", "1"]).warmupEpochs, 1);
});

Deno.test("train --help lists the options fitted models refuse, from the list the check uses", () => {
  const help = TRAIN_HELP.replace(/\s+/g, " ");
  for (const option of ["epochs", ...Object.keys(FITTED_REFUSES), "margin", "logit-scale"]) {
    assert.ok(new RegExp(`refuse [^.]*--${option}\\b`).test(help), option);
  }
  assert.match(help, /ensembles also refuse --min-images-per-person/);
});

Deno.test("--members: the ensemble of the members' models, fitted in one pass; bad lists are refused", () => {
  const args = (list: string[]) => parseTaskArgs(list, TRAIN_OPTIONS);
  const params = readTrainParams(args(["--members", "cnn,lbp"]), 7, ["seed64_cosface", "lbp_lda"]);
  assert.equal(params.model, "seed64_cosface+lbp_lda");
  assert.deepEqual(params.members, ["cnn", "lbp"]);
  assert.equal(params.epochs, 1);
  assert.deepEqual(params.objective, { kind: "ensemble" });
  const refused = (list: string[], pattern: RegExp) =>
    assert.throws(
      () => readTrainParams(args(list), 7, ["seed64_cosface", "lbp_lda"]),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
    );
  refused(["--members", "cnn"], /--members "cnn": name two experiments or more/);
  refused(["--members", "cnn,cnn"], /an experiment is named twice/);
  refused(["--members", "cnn,lbp", "--model", "seed"], /--model and --members/);
  refused(
    ["--members", "cnn,lbp", "--epochs", "3"],
    /--epochs 3: model seed64_cosface\+lbp_lda is fitted in one pass/,
  );
});

Deno.test("faces are prepared at a model's input size when it is larger than the default, unless --size says otherwise", () => {
  const size = (args: string[], model: string) => {
    const parsed = parseTaskArgs(args, { ...TRAIN_OPTIONS, ...PREPARE_OPTIONS });
    return preparedSize(parsed, readPrepareOptions(parsed).params.size, model);
  };
  assert.equal(getModel("fisher100_jb").inputSize, 100);
  assert.equal(size([], "fisher100_jb"), 100);
  assert.equal(size(["--size", "128"], "fisher100_jb"), 128);
  // Models reading smaller faces resize the shared default ones.
  assert.equal(size([], "seed"), 64);
  assert.equal(size([], "fisher_jb"), 64);
});

Deno.test("a --size below the model's input size is refused, naming the option and the model's size", () => {
  const size = (args: string[], model: string) => {
    const parsed = parseTaskArgs(args, { ...TRAIN_OPTIONS, ...PREPARE_OPTIONS });
    return preparedSize(parsed, readPrepareOptions(parsed).params.size, model);
  };
  const refused = (args: string[], model: string, pattern: RegExp) =>
    assert.throws(
      () => size(args, model),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
    );
  refused(["--size", "8"], "lbp_jb", /^--size 8: model lbp_jb reads 64x64 faces/);
  refused(["--size", "16"], "fisher100_512_jb", /^--size 16: model fisher100_512_jb reads 100x100/);
  refused(["--size", "64"], "fisher100_jb", /give --size 100 or more, or leave it out/);
  assert.equal(size(["--size", "64"], "lbp_jb"), 64);
  assert.equal(size(["--size", "100"], "fisher100_512_jb"), 100);
});

Deno.test("faces are prepared from a model's own crop when it has one, unless --box says otherwise", () => {
  const box = (args: string[], model: string) => {
    const parsed = parseTaskArgs(args, { ...TRAIN_OPTIONS, ...PREPARE_OPTIONS });
    return preparedBox(parsed, readPrepareOptions(parsed).params.box, model);
  };
  // The descriptor models were measured on the wider 100x100 crop.
  for (const model of ["lbp_jb", "gabor_jb", "fisher_jb", "fisher100_jb"]) {
    assert.deepEqual(getModel(model).preparedBox, FACE_BOXES.face100, model);
    assert.deepEqual(box([], model), [...FACE_BOXES.face100], model);
  }
  // fisher100_512_jb was measured better on the wider head crop.
  assert.deepEqual(box([], "fisher100_512_jb"), [...FACE_BOXES.head]);
  assert.deepEqual(box(["--box", "10,20,110,120"], "fisher_jb"), [10, 20, 110, 120]);
  // Models without a crop of their own keep the prepared default, LFWcrop's.
  assert.equal(getModel("seed").preparedBox, undefined);
  assert.deepEqual(box([], "seed"), [...FACE_BOXES.lfwcrop]);
  assert.deepEqual(PREPARE_DEFAULTS.box, [...FACE_BOXES.lfwcrop]);
  // A copy: the prepared parameters never alias the model's constant.
  const own = box([], "lbp_jb");
  own[0] = 0;
  assert.deepEqual(getModel("lbp_jb").preparedBox, FACE_BOXES.face100);
  assert.equal(FACE_BOXES.face100[0], 75);
});

Deno.test("a composed pipeline is recorded written out, and its faces are prepared from its frame", () => {
  const params = read(["--model", "frame=head_and_face/crop=face100/fisher:gaussians=256"]);
  assert.equal(
    params.model,
    "frame=48_50_202_204/crop=75_84_175_184/fisher:size=100,cell=5,step=2,scales=1_0.75_0.56,gaussians=256/pca=400/lda=100/jb",
  );
  assert.equal(params.epochs, 1);
  assert.deepEqual(params.objective, { kind: "lda", components: 400 });
  const args = parseTaskArgs(["--model", params.model], { ...TRAIN_OPTIONS, ...PREPARE_OPTIONS });
  assert.deepEqual(preparedBox(args, [0, 0, 250, 250], params.model), [48, 50, 202, 204]);
  assert.equal(preparedSize(args, 64, params.model), 154);
  // Two members composed by name fuse like registered ones, under their written-out names.
  const members = [
    "frame=head_and_face/crop=head/fisher",
    "frame=head_and_face/crop=face100/fisher",
  ];
  const ensemble = readTrainParams(
    parseTaskArgs(["--members", "a,b"], TRAIN_OPTIONS),
    7,
    members.map((m) => getModel(m).name),
  );
  assert.equal(ensemble.model, members.map((m) => getModel(m).name).join("+"));
  assert.throws(
    () => read(["--model", "fisher/pca=10/lda=20"]),
    /--model fisher\/pca=10\/lda=20: lda=20 must be below pca=10/,
  );
});
