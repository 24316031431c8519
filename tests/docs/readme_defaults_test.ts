import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  PREPARE_DEFAULTS,
  SPLIT_DEFAULTS,
  TEST_DEFAULTS,
  TRAIN_DEFAULTS,
} from "../../lib/config/defaults.ts";
import { ADAM_DEFAULTS } from "../../lib/train/adam.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = join(ROOT, "README.md");
/** The task reference, where the option tables live (the README links to it). */
const TASKS_DOC = join(ROOT, "docs", "tasks.md");

/** The task reference's option tables: option name -> the default column (backticks removed). */
function readmeDefaults(): Map<string, string[]> {
  const text = Deno.readTextFileSync(TASKS_DOC);
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^\| `(--[a-z-]+)[^`]*`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (!m) continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2].replaceAll("`", "")]);
  }
  return out;
}

Deno.test("the task reference's option tables state the defaults of lib/config and the optimiser", () => {
  const readme = readmeDefaults();
  const expected: [string, string][] = [
    ["--box", PREPARE_DEFAULTS.box.join(",")],
    ["--size", String(PREPARE_DEFAULTS.size)],
    ["--protocol", SPLIT_DEFAULTS.protocol],
    ["--seed", String(SPLIT_DEFAULTS.seed)],
    ["--val-pairs", String(SPLIT_DEFAULTS.valPairs)],
    ["--train-pairs", String(SPLIT_DEFAULTS.trainPairs)],
    ["--test-pairs", String(SPLIT_DEFAULTS.testPairs)],
    ["--val-people-share", String(SPLIT_DEFAULTS.valPeopleShare)],
    ["--epochs", String(TRAIN_DEFAULTS.epochs)],
    ["--batch-size", String(TRAIN_DEFAULTS.batchSize)],
    ["--model", TRAIN_DEFAULTS.model],
    ["--backend", TRAIN_DEFAULTS.backend],
    ["--lr", String(ADAM_DEFAULTS.learningRate)],
    ["--weight-decay", String(ADAM_DEFAULTS.weightDecay)],
    ["--augment", "1"],
    [
      "--lr-schedule",
      `${TRAIN_DEFAULTS.schedule.pair} (pair models), ${TRAIN_DEFAULTS.schedule.cosface} (identity models)`,
    ],
    [
      "--warmup-epochs",
      `${TRAIN_DEFAULTS.warmupEpochs.pair} (pair models), ${TRAIN_DEFAULTS.warmupEpochs.cosface} (identity models)`,
    ],
    ["--min-images-per-person", String(TRAIN_DEFAULTS.minImagesPerPerson)],
    ["--tta", String(TEST_DEFAULTS.tta)],
    ["--train-eval-pairs", String(TEST_DEFAULTS.trainEvalPairs)],
    ["--gallery", String(TEST_DEFAULTS.galleryPairs)],
  ];
  for (const [option, value] of expected) {
    const stated = readme.get(option);
    assert.ok(stated, `docs/tasks.md has no row for ${option}`);
    assert.ok(
      stated.includes(value),
      `docs/tasks.md says ${option} defaults to ${stated}, code ${value}`,
    );
  }
  assert.equal(TEST_DEFAULTS.flip, true, "docs/tasks.md says mirror averaging is on by default");
});

/** README.md and every Markdown file of docs/. */
function documents(): string[] {
  const docs = [...Deno.readDirSync(join(ROOT, "docs"))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => join(ROOT, "docs", e.name))
    .sort();
  return [README, ...docs];
}

/** A document's text without fenced code blocks, whose lines are neither headings nor links. */
function prose(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) out.push(line);
  }
  return out;
}

/** The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces -> -). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

Deno.test("the README is a front door of at most 300 lines", () => {
  const lines = Deno.readTextFileSync(README).replace(/\n$/, "").split("\n").length;
  assert.ok(lines <= 300, `README.md has ${lines} lines; move detail into docs/`);
});

Deno.test("every relative link of README.md and docs/*.md points at an existing file and heading", () => {
  const broken: string[] = [];
  for (const file of documents()) {
    const text = Deno.readTextFileSync(file);
    // Inline code may hold brackets; a link's text may hold inline code.
    const lines = prose(text).map((line) => line.replace(/`[^`]*`/g, "code"));
    for (const [, target] of lines.join("\n").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#", 2);
      const goal = path === "" ? file : join(dirname(file), decodeURIComponent(path));
      const where = `${relative(ROOT, file)} -> ${target}`;
      let stat: Deno.FileInfo;
      try {
        stat = Deno.statSync(goal);
      } catch {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor === undefined || anchor === "") continue;
      if (!stat.isFile || !goal.endsWith(".md")) {
        broken.push(`${where} (an anchor into a file that is not Markdown)`);
      } else if (!anchors(Deno.readTextFileSync(goal)).has(anchor)) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
});

Deno.test("the README types no accuracy figure: its results table is generated between two markers", () => {
  const text = Deno.readTextFileSync(README);
  const begin = "<!-- results-table:begin";
  const end = "<!-- results-table:end -->";
  assert.equal(
    text.split(begin).length,
    2,
    "README.md must hold the results table's begin marker once",
  );
  assert.equal(
    text.split(end).length,
    2,
    "README.md must hold the results table's end marker once",
  );
  const [before, rest] = text.split(begin);
  let after = rest.split(end)[1];
  assert.ok(after !== undefined, "the end marker must follow the begin marker");
  // The robustness table is generated too (from results/robustness/*.json).
  const robustness = after.match(
    /<!-- robustness-table:begin[^\n]*-->[\s\S]*<!-- robustness-table:end -->/,
  );
  if (robustness) after = after.replace(robustness[0], "");
  // So is the goals table (from results/*.json).
  const goals = after.match(/<!-- goals-table:begin[^\n]*-->[\s\S]*<!-- goals-table:end -->/);
  if (goals) after = after.replace(goals[0], "");
  // And the comparison with the Python peer (from results/bench/fisher_peer.json).
  const peer = after.match(/<!-- fisher-peer:begin[^\n]*-->[\s\S]*<!-- fisher-peer:end -->/);
  if (peer) after = after.replace(peer[0], "");
  // Accuracies here are all above chance (50%); a percentage that high, or an AUC, outside the
  // generated table was typed by hand.
  const typed = [...(before + after).matchAll(/(\d+(?:\.\d+)?)\s*%|\bAUC\s+[01]\.\d/g)]
    .filter((m) => m[1] === undefined || Number(m[1]) >= 50)
    .map((m) => m[0]);
  assert.deepEqual(typed, [], "README.md states figures by hand; they belong in result records");
});

Deno.test("the README's results table is the one generated from the committed records", async () => {
  const { readResultRecords } = await import("../../lib/pipeline/result_record.ts");
  const { markdownTable, markedTable } = await import("../../lib/pipeline/results_table.ts");
  const expected = markdownTable(await readResultRecords(join(ROOT, "results")));
  assert.equal(
    markedTable(Deno.readTextFileSync(README)),
    expected,
    "README.md's results table differs from results/*.json: run `deno task results --update-readme`",
  );
});

Deno.test("the README's robustness table is the one generated from the committed robustness records", async () => {
  const { readRobustnessRecords, robustnessMarkdown, ROBUSTNESS_MARKERS } = await import(
    "../../lib/bench/robustness_record.ts"
  );
  const { markedTable } = await import("../../lib/pipeline/results_table.ts");
  assert.equal(
    markedTable(Deno.readTextFileSync(README), ROBUSTNESS_MARKERS),
    robustnessMarkdown(await readRobustnessRecords(join(ROOT, "results", "robustness"))),
    "README.md's robustness table differs from results/robustness/*.json: run `deno task results --update-readme`",
  );
});

Deno.test("the README's goals table is the one generated from the committed records", async () => {
  const { readResultRecords } = await import("../../lib/pipeline/result_record.ts");
  const { goalsMarkdown, GOALS_MARKERS } = await import("../../lib/pipeline/goals_table.ts");
  const { markedTable } = await import("../../lib/pipeline/results_table.ts");
  assert.equal(
    markedTable(Deno.readTextFileSync(README), GOALS_MARKERS),
    goalsMarkdown(await readResultRecords(join(ROOT, "results"))),
    "README.md's goals table differs from results/*.json: run `deno task results --update-readme`",
  );
});

Deno.test("the README's comparison with the Python peer is the one generated from its bench record", async () => {
  const { fisherPeerMarkdown, FISHER_PEER_MARKERS, readFisherPeerRecord } = await import(
    "../../lib/bench/fisher_peer.ts"
  );
  const { markedTable } = await import("../../lib/pipeline/results_table.ts");
  assert.equal(
    markedTable(Deno.readTextFileSync(README), FISHER_PEER_MARKERS),
    fisherPeerMarkdown(
      await readFisherPeerRecord(join(ROOT, "results", "bench", "fisher_peer.json")),
    ),
    "README.md's peer table differs from results/bench/fisher_peer.json: run `deno task results --update-readme`",
  );
});
