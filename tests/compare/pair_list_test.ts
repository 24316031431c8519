import assert from "node:assert/strict";
import {
  describeSummary,
  formatResults,
  type PairResult,
  parsePairList,
  summarizeLabelled,
} from "../../lib/compare/pair_list.ts";

Deno.test("pair lists: relative paths, optional labels, and bad lines kept as errors with their number", () => {
  const text =
    "# comment\na.jpg\tb.jpg\n\n/x/c.jpg\td.jpg\tsame\nonly-one.jpg\ne.jpg\tf.jpg\tmaybe\ng.jpg\th.jpg\t0\n";
  const lines = parsePairList(text, "/lists/pairs.tsv");
  assert.deepEqual(lines, [
    { line: 2, a: "/lists/a.jpg", b: "/lists/b.jpg" },
    { line: 4, a: "/x/c.jpg", b: "/lists/d.jpg", label: 1 },
    {
      line: 5,
      error:
        '/lists/pairs.tsv:5: expected two tab-separated image paths and an optional label, found "only-one.jpg"',
    },
    { line: 6, error: '/lists/pairs.tsv:6: label "maybe" is not 1/same/true or 0/different/false' },
    { line: 7, a: "/lists/g.jpg", b: "/lists/h.jpg", label: 0 },
  ]);
});

const result = (line: number, label: 0 | 1 | null, probability: number | null): PairResult => ({
  line,
  a: `a${line}.jpg`,
  b: `b${line}.jpg`,
  label,
  probability,
  same_person: probability === null ? null : probability >= 0.5,
  a_score: probability === null ? null : 0.97,
  a_region: probability === null ? null : "125,133.5,100,100,-2.5",
  b_score: null,
  b_region: null,
  warnings: null,
  error: probability === null ? "unreadable" : null,
});

Deno.test("labelled pairs give accuracy, AUC and confusion counts at the threshold; failed pairs are left out", () => {
  const results = [
    result(1, 1, 0.9),
    result(2, 1, 0.4),
    result(3, 0, 0.2),
    result(4, 0, 0.6),
    result(5, 0, 0.1),
    result(6, 1, null),
    result(7, null, 0.8),
  ];
  const summary = summarizeLabelled(results, 0.5)!;
  assert.deepEqual(
    { ...summary, auc: Number(summary.auc!.toFixed(4)) },
    { pairs: 5, threshold: 0.5, accuracy: 0.6, auc: 0.8333, tp: 1, fp: 1, tn: 2, fn: 1 },
  );
  assert.match(
    describeSummary(summary),
    /^5 labelled pairs: accuracy 60\.00% at threshold 0\.5000, AUC 0\.8333; TP 1, FP 1, TN 2, FN 1$/,
  );
  assert.equal(summarizeLabelled([result(1, null, 0.3)], 0.5), undefined);
});

Deno.test("TSV and JSON carry the same field names and the threshold", () => {
  const header = {
    experiment: "demo",
    threshold: 0.42,
    threshold_source: "--threshold",
    faces: "detected",
    probability: "calibrated",
  };
  const results = [result(1, 1, 0.9), result(2, null, null)];
  const tsv = formatResults("tsv", header, results).split("\n");
  assert.equal(
    tsv[0],
    "# experiment demo\tthreshold 0.42\t(--threshold)\tfaces: detected\tprobability: calibrated",
  );
  assert.equal(
    tsv[1],
    "line\ta\tb\tlabel\tprobability\tsame_person\ta_score\ta_region\tb_score\tb_region\twarnings\terror",
  );
  assert.equal(
    tsv[2],
    "1\ta1.jpg\tb1.jpg\t1\t0.900000\ttrue\t0.9700\t125,133.5,100,100,-2.5\t\t\t\t",
  );
  assert.equal(tsv[3], "2\ta2.jpg\tb2.jpg\t\t\t\t\t\t\t\t\tunreadable");
  const json = JSON.parse(formatResults("json", header, results));
  assert.equal(json.threshold, 0.42);
  assert.equal(json.threshold_source, "--threshold");
  assert.deepEqual(Object.keys(json.results[0]), tsv[1].split("\t"));
});
