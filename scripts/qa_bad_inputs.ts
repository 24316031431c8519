/**
 * A QA pass over bad inputs, as a user makes them (`deno task qa`): each case runs a task the
 * way a user types it, on small synthetic faces in a store of its own, and is checked for what
 * the developers' guide promises: exit code 1, one line naming the file, value or option (the
 * task's `error:` line, no stack trace, no "internal error"), nothing silently accepted, and
 * nothing already written lost (the files a case must not touch are compared before and after).
 * It prints one line per case and the counts; its exit code is 1 when a case fails.
 *
 * Usage: deno run -A scripts/qa_bad_inputs.ts [--keep]   (--keep leaves its temporary store)
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodePgm } from "../lib/data/pgm.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const work = Deno.makeTempDirSync({ prefix: "face_comparer_qa_" });
const artifacts = join(work, "artifacts");
const images = join(work, "images");
const out = join(work, "out");
Deno.mkdirSync(out);

/** Small grey faces of 24 people, 8 each: noise around a per-person mean. */
function writeFaces(dir: string): void {
  Deno.mkdirSync(join(dir, "faces"), { recursive: true });
  let state = 1;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let p = 0; p < 24; p++) {
    for (let n = 1; n <= 8; n++) {
      const pixels = Uint8Array.from({ length: 64 * 64 }, () => 40 + 6 * p + next() * 60);
      Deno.writeFileSync(
        join(dir, "faces", `Qa_Person${p}_${String(n).padStart(4, "0")}.pgm`),
        encodePgm({ width: 64, height: 64, pixels }),
      );
    }
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function task(name: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--unstable-webgpu", join(ROOT, "tasks", `${name}.ts`), ...args],
    cwd: work,
    env: { FACE_COMPARER_ARTIFACTS: artifacts, NO_COLOR: "1", ...env },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/** A bad input: the task and its arguments, what the error must name, files it must not touch. */
interface Case {
  what: string;
  task: string;
  args: string[];
  /** The error line must match this (the option, value or file it names). */
  names: RegExp;
  env?: Record<string, string>;
  /** Makes what the case needs; returns the files that must be left as they were. */
  setup?: () => string[];
}

const data = ["--images", images, "--val-pairs", "16", "--train-pairs", "200"];
const seed = [...data, "--model", "seed", "--epochs", "1"];
const fitted = [...data, "--model", "lbp_lda"];
const photo = () => {
  const path = join(out, "photo.png");
  Deno.writeFileSync(path, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3));
  return [path];
};

const CASES: Case[] = [
  // Options a model ignores: refused, not a refit under a new key.
  ...[
    "--lr 0.01",
    "--augment 0.5",
    "--lr-schedule cosine",
    "--warmup-epochs 1",
    "--weight-decay 0.1",
    "--batch-size 64",
    "--load demo",
    "--epochs 3",
  ].map((o) => ({
    what: `fitted model with ${o}`,
    task: "train",
    args: ["fit2", ...fitted, ...o.split(" ")],
    names: new RegExp(o.split(" ")[0]),
  })),
  {
    what: "pair model with --min-images-per-person",
    task: "train",
    args: ["s2", ...seed, "--min-images-per-person", "3"],
    names: /--min-images-per-person/,
  },
  {
    what: "--warmup-epochs beyond --epochs",
    task: "train",
    args: ["s3", ...seed, "--warmup-epochs", "5"],
    names: /--warmup-epochs/,
  },
  {
    what: "--size below the model's input",
    task: "train",
    args: ["s4", "--images", images, "--model", "lbp_jb", "--size", "8"],
    names: /--size/,
  },
  {
    what: "an unknown model",
    task: "train",
    args: ["s5", "--images", images, "--model", "nope"],
    names: /--model: unknown model "nope"/,
  },
  {
    what: "a composed pipeline with a crop outside its frame",
    task: "train",
    args: ["s5b", "--images", images, "--model", "frame=face100/crop=head/fisher"],
    names: /--model frame=face100\/crop=head\/fisher: crop 62_52_188_202 is not inside frame/,
  },
  { what: "an unknown option", task: "train", args: ["s6", "--imagez", images], names: /--imagez/ },
  {
    what: "a bad experiment name",
    task: "train",
    args: ["../x", ...seed],
    names: /experiment name/,
  },
  {
    what: "a box outside the frame",
    task: "prepare",
    args: ["--images", images, "--box", "0,0,300,300"],
    names: /--box/,
  },
  {
    what: "images that do not exist",
    task: "train",
    args: ["s7", "--images", join(work, "none")],
    names: /none/,
  },
  { what: "test of an unknown experiment", task: "test", args: ["nobody"], names: /nobody/ },
  {
    what: "compare with a missing photo",
    task: "compare",
    args: ["demo", join(work, "a.png"), join(work, "b.png"), "--no-detect"],
    names: /[ab]\.png/,
  },
  {
    what: "compare --threshold out of range",
    task: "compare",
    args: ["demo", "a.png", "b.png", "--threshold", "2"],
    names: /--threshold/,
  },
  {
    what: "compare --out onto a photo",
    task: "compare",
    args: ["demo", "a.png", "b.png", "--out", join(out, "photo.png")],
    names: /photo\.png/,
    setup: photo,
  },
  {
    what: "report --out onto a photo",
    task: "report",
    args: ["demo", "--out", join(out, "photo.png")],
    names: /photo\.png/,
    setup: photo,
  },
  {
    what: "export onto someone's weights.bin",
    task: "export",
    args: ["demo", join(out, "mine"), "--force"],
    names: /weights\.bin/,
    setup: () => {
      Deno.mkdirSync(join(out, "mine"), { recursive: true });
      Deno.writeTextFileSync(join(out, "mine", "weights.bin"), "mine");
      return [join(out, "mine", "weights.bin")];
    },
  },
  {
    what: "export into an unwritable place",
    task: "export",
    args: ["demo", "/proc/face_comparer_export"],
    names: /\/proc\/face_comparer_export/,
  },
  {
    what: "an empty FACE_COMPARER_ARTIFACTS",
    task: "experiments",
    args: [],
    names: /FACE_COMPARER_ARTIFACTS/,
    env: { FACE_COMPARER_ARTIFACTS: "" },
  },
  {
    what: "results --promote of no record",
    task: "results",
    args: ["--promote", "nobody@000"],
    names: /nobody@000/,
  },
  {
    what: "results --promote-robustness without a bench",
    task: "results",
    args: ["--promote-robustness", "demo"],
    names: /robustness_demo\.json/,
  },
  {
    what: "a probe file that does not exist",
    task: "probe",
    args: [join(work, "none.json")],
    names: /none\.json/,
  },
  {
    what: "a probe whose candidates' images do not exist",
    task: "probe",
    args: [join(out, "probe.json")],
    names: /no_such_images/,
    setup: () => {
      const path = join(out, "probe.json");
      const base = ["--images", join(work, "no_such_images"), "--protocol", "lfw-view1"];
      Deno.writeTextFileSync(
        path,
        JSON.stringify({
          name: "qa",
          selectBy: "val-auc",
          base,
          candidates: { qa_a: ["--model", "lbp_lda"], qa_b: ["--model", "lbp_jb"] },
        }),
      );
      return [path];
    },
  },
  {
    what: "experiments rm of an unknown experiment",
    task: "experiments",
    args: ["rm", "nobody"],
    names: /nobody/,
  },
];

/** The files' bytes, to compare after a case. */
const snapshot = (files: string[]) => files.map((f) => Deno.readFileSync(f));

async function main() {
  writeFaces(images);
  for (const [name, args] of [["demo", seed], ["fit", fitted]] as const) {
    const r = await task("train", [name, ...args]);
    if (r.code !== 0) throw new Error(`qa: could not train ${name}: ${r.stderr}`);
  }
  const kept = join(artifacts, "experiments", "demo.json");
  const before = Deno.readFileSync(kept);
  let failed = 0;
  const counts = { stackTraces: 0, silentAccepts: 0, lost: 0, unclear: 0 };
  for (const c of CASES) {
    const guarded = c.setup?.() ?? [];
    const kept = snapshot(guarded);
    const r = await task(c.task, c.args, c.env);
    const problems: string[] = [];
    if (r.code === 0) {
      problems.push("accepted (exit 0)");
      counts.silentAccepts++;
    }
    if (/^\s+at |internal error|Uncaught/m.test(r.stderr)) {
      problems.push("stack trace");
      counts.stackTraces++;
    }
    // One error line, or one per file (compare names each photo it cannot read), each naming it.
    const errors = r.stderr.split("\n").filter((l) => l.includes("error:"));
    if (r.code !== 0 && (errors.length === 0 || !errors.every((e) => c.names.test(e)))) {
      problems.push(`unclear error: ${errors.join(" | ") || r.stderr.split("\n").at(-1)}`);
      counts.unclear++;
    }
    if (guarded.some((f, i) => String(Deno.readFileSync(f)) !== String(kept[i]))) {
      problems.push("a file it must not touch changed");
      counts.lost++;
    }
    if (problems.length) failed++;
    console.log(
      `${problems.length ? "FAIL" : "ok  "} ${c.task} ${c.what}: ${
        problems.length ? problems.join("; ") : errors[0]?.slice(0, 140)
      }`,
    );
  }
  if (String(Deno.readFileSync(kept)) !== String(before)) {
    console.log("FAIL the trained experiment's record changed");
    counts.lost++, failed++;
  }
  console.log(
    `qa: ${CASES.length} bad inputs, ${failed} failed: ${counts.stackTraces} stack traces, ${counts.silentAccepts} silent accepts, ${counts.unclear} unclear errors, ${counts.lost} things lost`,
  );
  if (!Deno.args.includes("--keep")) Deno.removeSync(work, { recursive: true });
  else console.log(`qa: its store is in ${work}`);
  if (failed > 0) Deno.exit(1);
}

await main();
