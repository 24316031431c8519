/**
 * A stage's code input is the code it runs for the experiment (issue 28): the stage's own
 * modules, the model's definition and the training of its kind, hashed without comments or
 * formatting. Edits are simulated through the fingerprint's file reader: the real files are read
 * and changed in memory, never on disk.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { normalizeSource } from "../../lib/pipeline/normalize_source.ts";
import { codeFingerprint, readCodeFingerprint } from "../../lib/pipeline/code_fingerprint.ts";
import {
  checkInputs,
  STAGE_TABLE,
  stageCode,
  type StageDeclaration,
} from "../../lib/pipeline/stages.ts";
import { ArtifactStore, stageKey } from "../../lib/pipeline/artifact_store.ts";
import { ExperimentIndex, type ExperimentRecord } from "../../lib/pipeline/experiments.ts";
import { experimentStatus } from "../../lib/pipeline/stage_status.ts";
import { getModel, MODELS } from "../../lib/model/registry.ts";
import type { SiameseModel } from "../../lib/model/siamese_model.ts";
import { Adam } from "../../lib/train/adam.ts";
import { tempDir } from "../helpers/fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FISHER = getModel("fisher100_512_jb");
const SEED = getModel("seed");

/** Edits by file (path from the project root): each maps the file's text to the edited text. */
type Edits = Record<string, (text: string) => string>;

/** The files and hash of stage `name`'s code for `model`, with `edits` applied in memory. */
function codeOf(name: StageDeclaration["name"], model: SiameseModel, edits: Edits = {}) {
  const used = new Set<string>();
  const fingerprint = readCodeFingerprint(stageCode(name, [model]).parts, {
    read: (url) => {
      const text = Deno.readTextFileSync(url);
      const file = relative(ROOT, fileURLToPath(url));
      if (!edits[file]) return text;
      used.add(file);
      const edited = edits[file](text);
      assert.notEqual(edited, text, `the edit of ${file} changes nothing`);
      return edited;
    },
  });
  return { ...fingerprint, edited: [...used] };
}

/** Whether the edits change the code of stage `name` for `model` (asserting they apply). */
function stales(name: StageDeclaration["name"], model: SiameseModel, edits: Edits): boolean {
  const before = codeOf(name, model);
  const after = codeOf(name, model, edits);
  return after.hash !== before.hash;
}

const append = (code: string) => (text: string) => `${text}\n${code}\n`;
/** Comments added at the top, before the first export and at the end; a longer doc comment. */
const commentsOnly = (text: string) =>
  "// A note added at the top.\n/* A block\n   comment. */\n\n" +
  text
    .replace("/**\n", "/**\n * One more line of documentation.\n")
    .replace("\nexport ", "\n// An exported thing:\n\n    export ") +
  "\n// The end.\n";

Deno.test("normalised code: comments, blank lines, indentation and rewrapping never count", () => {
  const code = [
    "/** Doc. */",
    "export function f(a: number, b = 'x'): string {",
    "  // Why.",
    '  const url = "https://example.org/a"; /* the site */',
    "",
    "  return `${a} // ${b}`;",
    "}",
  ].join("\n");
  const reflowed = [
    "export function f(",
    "    a: number,",
    '    b = "x",',
    "): string {",
    '        const url = "https://example.org/a";',
    "        return `${a} // ${b}`;",
    "}",
    "// The end.",
  ].join("\n");
  assert.equal(normalizeSource(code, "script"), normalizeSource(reflowed, "script"));
  assert.equal(
    normalizeSource(code, "script"),
    'export function f(a:number,b="x"):string{const url="https://example.org/a";return`${a} // ${b}`}',
  );
  // A `//` in a string, a template or a pattern is code: editing what follows it counts.
  for (
    const [a, b] of [
      ['const u = "https://example.org/a";', 'const u = "https://example.org/b";'],
      ["const t = `x // ${y} /* z */`;", "const t = `x // ${y} /* w */`;"],
      [
        "const r = /\\/\\*[^*]*\\*\\//g; // a pattern",
        "const r = /\\/\\*[^*]*\\*\\//m; // a pattern",
      ],
      ["const s = 'it\\'s // here';", "const s = 'it\\'s // there';"],
      ["x = a / b / c; // d", "x = a / b / d; // d"],
    ]
  ) {
    assert.notEqual(normalizeSource(a, "script"), normalizeSource(b, "script"), `${a} | ${b}`);
  }
  // Nested templates and a division after a call are read as code, not as a pattern.
  assert.equal(
    normalizeSource(
      "const t = `a${`b${c}` /* no */}d`; // yes\nconst q = f(x) / 2; // two",
      "script",
    ),
    "const t=`a${`b${c}`}d`;const q=f(x)/2;",
  );
  // C keeps its line breaks (its preprocessor reads them), drops comments and blank lines.
  assert.equal(
    normalizeSource(
      '#include <a.h> // x\n\n/* y */  #define N 4\nint  f(void) { return N; } // "z"\n',
      "c",
    ),
    "#include<a.h>\n#define N 4\nint f(void){return N;}",
  );
});

Deno.test("imports of types only load no code and are not followed", () => {
  const dir = tempDir();
  const write = (name: string, text: string) => Deno.writeTextFileSync(join(dir, name), text);
  write(
    "entry.ts",
    [
      'import { type A, type B } from "./types.ts";',
      'import type { C } from "./types2.ts";',
      'import { type D, value } from "./value.ts";',
      '// import { e } from "./commented.ts";',
      'const worker = new URL("./worker.ts", import.meta.url);',
      "export const x: A | B | C | D = value;",
    ].join("\n"),
  );
  for (const name of ["types.ts", "types2.ts", "value.ts", "worker.ts", "commented.ts"]) {
    write(name, "export type A = 1; export type B = 1; export type C = 1; export type D = 1;");
  }
  const files = Object.keys(readCodeFingerprint([pathToFileURL(join(dir, "entry.ts"))]).files)
    .map((f) => f.split("/").pop());
  assert.deepEqual(files.sort(), ["entry.ts", "value.ts", "worker.ts"]);
});

Deno.test("a stage's code is the code it runs for the experiment's model, not the registry's", () => {
  const seed = Object.keys(codeOf("train", SEED).files);
  const fisher = Object.keys(codeOf("train", FISHER).files);
  // Each trains its own way: the gradient loop with Adam and the augmenting batch workers, or
  // the descriptor fit.
  for (
    const f of [
      "lib/model/seed_model.ts",
      "lib/train/trainer.ts",
      "lib/train/adam.ts",
      "lib/train/batch_worker.ts",
      "lib/train/branch_worker.ts",
    ]
  ) {
    assert.ok(seed.includes(f), `seed: ${f}`);
    assert.ok(!fisher.includes(f), `fisher: ${f}`);
  }
  for (
    const f of [
      "lib/model/fisher_model.ts",
      "lib/train/fit_lda.ts",
      "lib/train/fit_fisher_encoder.ts",
      "lib/train/describe_worker.ts",
    ]
  ) {
    assert.ok(fisher.includes(f), `fisher: ${f}`);
    assert.ok(!seed.includes(f), `seed: ${f}`);
  }
  for (const files of [seed, fisher]) {
    assert.ok(!files.includes("lib/model/registry.ts"));
    assert.ok(!files.some((f) => /(lbp|gabor|cosface)_model/.test(f)), files.join(" "));
    assert.ok(files.includes("lib/pipeline/train_stage.ts") && files.includes("deno.json"));
    assert.ok(files.includes("native/conv_kernels.c"));
  }
  // Evaluation runs the model, not its training.
  for (const model of [SEED, FISHER]) {
    const test = Object.keys(codeOf("test", model).files);
    assert.ok(test.includes("lib/pipeline/test_stage.ts"));
    assert.ok(!test.some((f) => /trainer|fit_lda|registry/.test(f)), test.join(" "));
  }
  assert.ok(Object.keys(codeOf("test", FISHER).files).includes("lib/model/fisher_model.ts"));
  // A fitted descriptor's scoring through its describing workers is its own code, not a network's.
  for (const name of ["train", "test"] as const) {
    const files = (model: typeof SEED) => Object.keys(codeOf(name, model).files);
    assert.ok(files(FISHER).includes("lib/evaluate/descriptor_scores.ts"), `${name} fisher`);
    assert.ok(!files(SEED).includes("lib/evaluate/descriptor_scores.ts"), `${name} seed`);
  }
});

Deno.test("(a) a comment edit in a shared module stales no experiment, whatever its model", () => {
  const shared = {
    "lib/evaluate/roc_curve.ts": commentsOnly,
    "lib/pipeline/artifact_store.ts": commentsOnly,
    "lib/util/rng.ts": commentsOnly,
  };
  for (const name of ["train", "test"] as const) {
    for (const model of Object.values(MODELS)) {
      const edited = codeOf(name, model, shared).edited;
      assert.ok(edited.includes("lib/evaluate/roc_curve.ts"), `${name} ${model.name}`);
      assert.equal(stales(name, model, shared), false, `${name} ${model.name}`);
    }
  }
  // Nor does a comment edit of the model's own definition.
  assert.equal(stales("train", FISHER, { "lib/model/fisher_model.ts": commentsOnly }), false);
  // But a code edit in the shared module does.
  assert.equal(stales("test", SEED, { "lib/evaluate/roc_curve.ts": append("const z = 1;") }), true);
});

Deno.test("(b) an edit of the Fisher vector model stales only the experiments that run it", () => {
  const edit = {
    "lib/model/fisher_model.ts": (t: string) => t.replace("ITERATIONS = ", "ITERATIONS = 1 + "),
  };
  for (const name of ["train", "test"] as const) {
    assert.equal(stales(name, FISHER, edit), true, name);
    assert.equal(stales(name, SEED, edit), false, name);
    assert.equal(stales(name, getModel("lbp_jb"), edit), false, name);
    assert.equal(stales(name, getModel("fisher_jb"), edit), true, name);
  }
});

Deno.test("(b) an edit of the Fisher vectors themselves (or their layer) stales only Fisher experiments", () => {
  const edit = { "lib/model/fisher_vectors.ts": append("export const EDITED = 1;") };
  for (const name of ["train", "test"] as const) {
    assert.equal(stales(name, FISHER, edit), true, name);
    assert.equal(stales(name, getModel("fisher_jb"), edit), true, name);
    assert.equal(stales(name, SEED, edit), false, name);
    assert.equal(stales(name, getModel("seed64_cosface"), edit), false, name);
    assert.equal(stales(name, getModel("lbp_jb"), edit), false, name);
  }
});

Deno.test("(c) an edit of the CNN stales only the experiments that run it", () => {
  const edit = { "lib/model/seed_model.ts": append("export const EDITED = 1;") };
  for (const name of ["train", "test"] as const) {
    assert.equal(stales(name, SEED, edit), true, name);
    assert.equal(stales(name, FISHER, edit), false, name);
    assert.equal(stales(name, getModel("lbp_jb"), edit), false, name);
  }
  // Models built on its branch run it too.
  assert.equal(stales("train", getModel("seed_cosface"), edit), true);
});

Deno.test("(d) an edit of a utility both models use stales both", () => {
  for (const file of ["lib/util/rng.ts", "lib/evaluate/predict_pairs.ts"]) {
    const edit = { [file]: append("export const EDITED = 1;") };
    for (const model of [SEED, FISHER]) {
      assert.ok(codeOf("train", model).files[file], `${file} in ${model.name}'s code`);
      assert.equal(stales("train", model, edit), true, `${file}: ${model.name}`);
    }
  }
  // The training loop is shared by the networks only; the descriptor fit by the fitted models.
  const loop = { "lib/train/trainer.ts": append("export const EDITED = 1;") };
  assert.equal(stales("train", SEED, loop), true);
  assert.equal(stales("train", getModel("bn_cosface"), loop), true);
  assert.equal(stales("train", FISHER, loop), false);
  const fit = { "lib/train/fit_lda.ts": append("export const EDITED = 1;") };
  assert.equal(stales("train", FISHER, fit), true);
  assert.equal(stales("train", getModel("lbp_lda"), fit), true);
  assert.equal(stales("train", SEED, fit), false);
  // A model added to the registry stales none.
  const registry = {
    "lib/model/registry.ts": (t: string) =>
      t.replace("seed: SEED_MODEL,", "seed: SEED_MODEL,\n  seed2: SEED_MODEL,"),
  };
  assert.equal(stales("train", SEED, registry), false);
});

Deno.test("(e) an edit of the pipeline's machinery or of an earlier stage's module stales no later artifact", () => {
  const files = (name: StageDeclaration["name"], model?: SiameseModel) =>
    Object.keys(
      readCodeFingerprint(stageCode(name, model ? [model] : []).parts).files,
    );
  const machinery = [
    "lib/pipeline/stages.ts",
    "lib/pipeline/artifact_store.ts",
    "lib/pipeline/code_fingerprint.ts",
    "lib/pipeline/experiments.ts",
    "lib/pipeline/worker_code.ts",
  ];
  const later: [StageDeclaration["name"], SiameseModel | undefined, string[]][] = [
    ["prepare", undefined, []],
    ["split", undefined, ["lib/pipeline/prepare_stage.ts"]],
    ["train", FISHER, ["lib/pipeline/prepare_stage.ts", "lib/pipeline/split_stage.ts"]],
    ["train", SEED, ["lib/pipeline/prepare_stage.ts", "lib/pipeline/split_stage.ts"]],
    ["test", FISHER, ["lib/pipeline/split_stage.ts", "lib/pipeline/train_stage.ts"]],
    ["ten-fold test", FISHER, ["lib/pipeline/train_stage.ts", "lib/pipeline/test_stage.ts"]],
  ];
  for (const [name, model, earlier] of later) {
    const code = files(name, model);
    for (const f of [...machinery, ...earlier]) {
      assert.ok(!code.includes(f), `${name} ${model?.name ?? ""}: ${f}`);
    }
    // The pinned packages are code every stage runs.
    assert.ok(code.includes("deno.json"), `${name}: deno.json`);
  }
  // A stage's own module is its code, though it is the machinery of the stages after it.
  assert.ok(files("split").includes("lib/pipeline/split_stage.ts"));
  assert.ok(files("prepare").includes("lib/pipeline/prepare_stage.ts"));
  // What reads an earlier stage's files is the code of the stages that read them.
  for (const name of ["train", "test"] as const) {
    assert.ok(files(name, FISHER).includes("lib/pipeline/split_files.ts"), name);
    assert.ok(files(name, FISHER).includes("lib/data/face_array.ts"), name);
  }
  const edit = { "lib/pipeline/stages.ts": append("export const EDITED = 1;") };
  assert.equal(
    stales("train", FISHER, { "lib/pipeline/split_files.ts": append("const z = 1;") }),
    true,
  );
  assert.equal(
    stales("train", FISHER, { "lib/pipeline/train_stage.ts": append("const z = 1;") }),
    true,
  );
  // An edit of the stage table is read by no stage's code: it stales nothing.
  for (const [name, model] of [["train", FISHER], ["test", SEED]] as const) {
    assert.deepEqual(codeOf(name, model, edit).edited, [], name);
    assert.equal(stales(name, model, edit), false, name);
  }
});

Deno.test("every registered model declares its own definition as its code; an ensemble its members'", () => {
  const registry = Deno.readTextFileSync(new URL("../../lib/model/registry.ts", import.meta.url));
  const moduleOf = new Map<string, string>();
  for (const m of registry.matchAll(/import \{([^}]*)\} from "\.\/([a-z_0-9]+\.ts)"/g)) {
    for (const name of m[1].split(",")) moduleOf.set(name.trim(), `lib/model/${m[2]}`);
  }
  for (const [name, model] of Object.entries(MODELS)) {
    const constant = new RegExp(`\\b${name}: ([A-Z0-9_]+),`).exec(registry)?.[1];
    const file = moduleOf.get(constant ?? "");
    assert.ok(file, `${name}: its module in registry.ts`);
    const files = Object.keys(readCodeFingerprint(model.code).files);
    assert.ok(files.includes(file), `${name}: ${file} not in its code (${files.join(" ")})`);
  }
  const ensemble = getModel("lbp_jb+fisher_jb");
  const files = Object.keys(readCodeFingerprint(ensemble.code).files);
  for (
    const f of [
      "lib/model/ensemble_model.ts",
      "lib/model/lbp_model.ts",
      "lib/model/fisher_model.ts",
    ]
  ) {
    assert.ok(files.includes(f), f);
  }
  const code = Object.keys(codeOf("train", ensemble).files);
  assert.ok(code.includes("lib/train/fit_ensemble.ts") && !code.includes("lib/train/fit_lda.ts"));
  // The ten-fold test: the fold models' code, once per distinct model.
  assert.equal(stageCode("ten-fold test", [FISHER, FISHER]).parts.length, 2);
  assert.throws(() => stageCode("train"), /runs a model/);
  assert.throws(() => stageCode("prepare", [SEED]), /runs no model/);
});

Deno.test("a fitted model's checkpoint holds a fresh optimiser's state without running Adam", async () => {
  assert.deepEqual(await new Adam().readState(), { step: 0, m: new Map(), v: new Map() });
});

Deno.test("the key's inputs are those the stage table declares", async () => {
  checkInputs("train", { faces: "f", split: "s", compute: "c", member1: "a", member2: "b" });
  checkInputs("ten-fold test", { faces: "f", pairs: "p", fold1: "a", fold10: "b" });
  checkInputs("split", { faces: "f" });
  assert.throws(
    () => checkInputs("test", { model: "m", faces: "f", split: "s" }),
    /model not declared, train missing/,
  );
  assert.throws(() => checkInputs("ten-fold test", { faces: "f", pairs: "p" }), /fold missing/);
  const spec = {
    stage: "test",
    code: stageCode("test", [SEED]),
    params: {},
    inputs: { faces: "f" },
  };
  await assert.rejects(() => stageKey(spec), /test: inputs train, split missing/);
  for (const s of STAGE_TABLE) {
    for (const [role, input] of Object.entries(s.inputs)) {
      assert.ok(input.what.length > 0, `${s.name}.${role}`);
      if (input.from !== "outside") {
        assert.ok(STAGE_TABLE.some((t) => t.dir === input.from), `${s.name}.${role}`);
      }
    }
  }
});

Deno.test("status names the code files, parameters and inputs that changed, per experiment's model", async () => {
  const store = new ArtifactStore(tempDir(), { log: () => {}, warn: () => {} });
  const index = new ExperimentIndex(store.root);
  const params = {
    prepare: { size: 64, grey: true },
    split: { protocol: "seed", seed: 1 },
    seed: { model: "seed", epochs: 5, seed: 1 },
    fisher: { model: "fisher100_512_jb", epochs: 1, seed: 1 },
  };
  const artifact = async (
    stage: "prepare" | "split" | "train" | "test",
    key: string,
    manifest: {
      code: { hash: string; files: Record<string, string> };
      params: unknown;
      inputs: Record<string, string>;
    },
  ) => {
    const dir = store.dirOf(stage, key);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      join(dir, "manifest.json"),
      JSON.stringify({
        stage,
        key,
        ...manifest,
        files: {},
        info: {},
        tools: {},
        createdAt: "",
        durationSeconds: 0,
      }),
    );
  };
  const now = async (stage: StageDeclaration["name"], model?: SiameseModel) =>
    structuredClone(await codeFingerprint(stageCode(stage, model ? [model] : []).parts));
  await artifact("prepare", "p1", {
    code: await now("prepare"),
    params: params.prepare,
    inputs: { images: "i", decoder: "d" },
  });
  await artifact("split", "s1", {
    code: await now("split"),
    params: params.split,
    inputs: { faces: "p1" },
  });
  // The seed model's training: made by an older seed_model.ts, with 3 epochs where its record
  // now asks for 5.
  const older = await now("train", SEED);
  older.files["lib/model/seed_model.ts"] = "0".repeat(64);
  const trainInputs = { faces: "p1", split: "s1", compute: "wasm" };
  await artifact("train", "t-seed", {
    code: older,
    params: { ...params.seed, epochs: 3 },
    inputs: trainInputs,
  });
  await artifact("test", "e-seed", {
    code: await now("test", SEED),
    params: {},
    inputs: { train: "t-seed", split: "s1", faces: "p1" },
  });
  // The Fisher model's: current in every way.
  await artifact("train", "t-fisher", {
    code: await now("train", FISHER),
    params: params.fisher,
    inputs: trainInputs,
  });
  await artifact("test", "e-fisher", {
    code: await now("test", FISHER),
    params: {},
    inputs: { train: "t-fisher", split: "s1", faces: "p1" },
  });
  const record = (
    name: string,
    train: string,
    test: string,
    options: unknown,
  ): ExperimentRecord => ({
    name,
    createdAt: "",
    updatedAt: "",
    status: "complete",
    keys: { prepare: "p1", split: "s1", train, test },
    options: { compute: "wasm", prepare: params.prepare, split: params.split, train: options },
  });
  await index.put(record("cnn", "t-seed", "e-seed", params.seed));
  await index.put(record("fv", "t-fisher", "e-fisher", params.fisher));

  const fv = await experimentStatus(store, "fv");
  assert.deepEqual(
    fv.map((s) => s.state),
    ["cached", "cached", "cached", "cached"],
    JSON.stringify(fv),
  );
  const cnn = await experimentStatus(store, "cnn");
  assert.deepEqual(cnn.map((s) => s.state), ["cached", "cached", "would rerun", "would rerun"]);
  const train = cnn[2];
  assert.deepEqual(train.changed, {
    files: ["lib/model/seed_model.ts"],
    params: ["epochs"],
    inputs: [],
  });
  assert.match(
    train.reasons.join("; "),
    /^code changed: lib\/model\/seed_model\.ts; parameters changed: epochs 3 -> 5$/,
  );
  assert.deepEqual(cnn[3].changed, { files: [], params: [], inputs: [] });
  assert.deepEqual(cnn[3].reasons, ["an earlier stage would rerun"]);

  // An experiment whose record names other prepared faces than its split was made from, and
  // whose training ran on another machine's kernels.
  await index.put({
    ...record("moved", "t-fisher", "e-fisher", params.fisher),
    keys: { prepare: "p2", split: "s1", train: "t-fisher", test: "e-fisher" },
    options: { ...record("x", "", "", params.fisher).options, compute: "native" },
  });
  await artifact("prepare", "p2", {
    code: await now("prepare"),
    params: params.prepare,
    inputs: { images: "i", decoder: "d" },
  });
  const moved = await experimentStatus(store, "moved");
  assert.deepEqual(moved.map((s) => s.changed?.inputs), [[], ["faces"], ["compute", "faces"], [
    "faces",
  ]]);
  assert.match(moved[1].reasons[0], /^input changed: faces \(the prepared faces\)$/);
  assert.match(
    moved[2].reasons.join("; "),
    /input changed: compute \(the backend and kernel set\), faces/,
  );
});
