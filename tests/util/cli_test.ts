import assert from "node:assert/strict";
import { OUT_OF_BOUNDS_WASM } from "../helpers/out_of_bounds_wasm.ts";
import {
  intOption,
  parseDuration,
  parseTaskArgs,
  shellWord,
  validateExperimentName,
} from "../../lib/util/cli.ts";
import { UserError } from "../../lib/util/errors.ts";

Deno.test("parseDuration reads h/m/s forms and rejects others", () => {
  assert.equal(parseDuration("30m"), 1800);
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration("90s"), 90);
  assert.equal(parseDuration("1.5h"), 5400);
  for (const bad of ["", "30", "m", "1x", "-5m"]) {
    assert.throws(() => parseDuration(bad), UserError);
  }
});

Deno.test("experiment names are letters, digits and underscores", () => {
  assert.equal(validateExperimentName("exp_1"), "exp_1");
  for (const bad of ["", "a-b", "a b", "../x", "é"]) {
    assert.throws(() => validateExperimentName(bad), UserError);
  }
  assert.throws(() => validateExperimentName(undefined), UserError);
});

Deno.test("parseTaskArgs rejects unknown options; intOption checks ranges", () => {
  assert.throws(() => parseTaskArgs(["--nope"], {}), UserError);
  const args = parseTaskArgs(["--n", "12", "--m", "x"], {
    n: { type: "string" },
    m: { type: "string" },
  });
  assert.equal(intOption(args, "n", { min: 1, max: 20 }), 12);
  assert.throws(() => intOption(args, "n", { max: 10 }), /out of range/);
  assert.throws(() => intOption(args, "m"), /not an integer/);
  assert.equal(intOption(args, "absent"), undefined);
});

Deno.test("typed paths resolve from the folder the command was typed in (INIT_CWD)", async () => {
  const { userPath } = await import("../../lib/util/cli.ts");
  const before = Deno.env.get("INIT_CWD");
  try {
    Deno.env.set("INIT_CWD", "/home/someone/photos");
    assert.equal(userPath("a.jpg"), "/home/someone/photos/a.jpg");
    assert.equal(userPath("../b/c.jpg"), "/home/someone/b/c.jpg");
    assert.equal(userPath("/abs/d.jpg"), "/abs/d.jpg");
    Deno.env.delete("INIT_CWD");
    assert.equal(userPath("e.jpg"), `${Deno.cwd()}/e.jpg`);
  } finally {
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
  }
});

Deno.test("a negative value without = and an over-long name are one-line errors saying what to do", async () => {
  const { parseTaskArgs, validateExperimentName } = await import("../../lib/util/cli.ts");
  const { UserError } = await import("../../lib/util/errors.ts");
  assert.throws(
    () => parseTaskArgs(["--seed", "-5"], { seed: { type: "string" } }),
    (e: Error) =>
      e instanceof UserError && /--seed: .* must be written --seed=VALUE/.test(e.message),
  );
  assert.equal(parseTaskArgs(["--seed=-5"], { seed: { type: "string" } }).values.seed, "-5");
  assert.throws(
    () => validateExperimentName("x".repeat(300)),
    (e: Error) => e instanceof UserError && /300 characters long: use at most 100/.test(e.message),
  );
});

Deno.test("output paths: a folder where a file goes, or a file where a folder goes, is named", async () => {
  const { assertFilePath, assertNoFileAbove } = await import("../../lib/util/cli.ts");
  const dir = Deno.makeTempDirSync();
  const file = `${dir}/f.txt`;
  Deno.writeTextFileSync(file, "x");
  assert.throws(() => assertFilePath(dir, "--out"), /--out: .* is a folder; give a file name/);
  assert.throws(
    () => assertFilePath(`${file}/out.html`, "--out"),
    /cannot be created: .*f\.txt is a file/,
  );
  assert.throws(
    () => assertNoFileAbove(`${file}/a/b`, "OUT_DIR"),
    /OUT_DIR: .* cannot be created: .*f\.txt is a file/,
  );
  assertFilePath(`${dir}/new/report.html`, "--out");
  assertNoFileAbove(`${dir}/new/folder`, "OUT_DIR");
});

Deno.test("shellWord quotes what a shell would split or expand", () => {
  assert.equal(shellWord("--box"), "--box");
  assert.equal(shellWord("62,52,188,202"), "62,52,188,202");
  assert.equal(shellWord("../shared/lfw"), "../shared/lfw");
  assert.equal(shellWord("a b"), "'a b'");
  assert.equal(shellWord("it's"), "'it'\\''s'");
  assert.equal(shellWord("$HOME"), "'$HOME'");
});

Deno.test("the wasm backend's memory running out is a one-line error saying what needs less, exit 1", async () => {
  // A task that hits it: one line on stderr, exit status 1.
  const script = `import { runTask } from ${
    JSON.stringify(import.meta.resolve("../../lib/util/cli.ts"))
  };
const { instance } = await WebAssembly.instantiate(new Uint8Array(${
    JSON.stringify(OUT_OF_BOUNDS_WASM)
  }));
await runTask("fit", async () => { instance.exports.f(); });`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  assert.equal(output.code, 1, stderr);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /^fit: error: the wasm backend's memory/);
});
