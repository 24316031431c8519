import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactsRoot, lfwDataRoot } from "../../lib/config/defaults.ts";
import { renderPairGrid } from "../../lib/evaluate/error_gallery.ts";
import { classificationMetrics } from "../../lib/evaluate/classification_metrics.ts";
import { rocAuc, rocCurve } from "../../lib/evaluate/roc_curve.ts";
import { movingAverage } from "../../lib/report/charts.ts";
import type { ExperimentData } from "../../lib/report/experiment_data.ts";
import { buildReport } from "../../lib/report/html_report.ts";
import { renderSvg } from "../../lib/report/render_chart.ts";
import { loadPublishedRocs, parseRocFile } from "../../lib/report/published_roc.ts";
import { Rng } from "../../lib/util/rng.ts";
import { tempDir } from "../helpers/fixtures.ts";
import { runChromium } from "../helpers/chromium.ts";
import { EXPERIMENT_PALETTE } from "../../lib/report/charts.ts";
import { needs } from "../helpers/tiers.ts";

Deno.test("ROC files are parsed tolerantly: comments, extra columns, NaN rows, either order", () => {
  const text = "# Created by Octave\n# rows: 4\n 1 1 0.5 30\n0.5 0.25 9 9\nNaN 0.1\n0 0 1 0\n\n";
  assert.deepEqual(parseRocFile(text), [[0, 0], [0.25, 0.5], [1, 1]]);
  assert.equal(
    parseRocFile(Array.from({ length: 1000 }, (_, i) => `${i / 999} ${i / 999}`).join("\n"), 50)
      .length,
    50,
  );
});

Deno.test(
  "the shared published curves load with their accuracies",
  { ignore: needs("lfw") },
  async () => {
    const published = await loadPublishedRocs(join(lfwDataRoot(), "published-roc"));
    assert.ok(published.length >= 12);
    const withCurves = published.filter((p) => p.points.length > 0);
    assert.equal(withCurves.length, 12);
    for (const p of withCurves) {
      assert.ok(p.meanAccuracy > 0.5 && p.meanAccuracy < 1, p.method);
      assert.ok(p.points.every(([f, t]) => f >= 0 && f <= 1 && t >= 0 && t <= 1), p.method);
    }
    await assert.rejects(() => loadPublishedRocs("/no/such/dir"), /no readable index\.tsv/);
  },
);

Deno.test("the moving average trails over the window", () => {
  assert.deepEqual(movingAverage([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5]);
});

/** A complete experiment made of synthetic results (no training needed). */
async function syntheticExperiment(
  name: string,
  seed: number,
  options: { interrupted?: boolean; lr?: number; model?: string } = {},
): Promise<ExperimentData> {
  const rng = new Rng(seed);
  const labels = Array.from({ length: 200 }, (_, i) => i % 2);
  const scores = labels.map((y) =>
    Math.min(1, Math.max(0, 0.5 + (y ? 0.2 : -0.2) + 0.3 * rng.normal()))
  );
  const curve = rocCurve(scores, labels);
  const setMetrics = {
    pairs: 200,
    atThreshold: classificationMetrics(scores, labels, { threshold: 0.5 }),
    atHalf: classificationMetrics(scores, labels, { threshold: 0.5 }),
    auc: rocAuc(curve),
    eer: 0.3,
    tarAtFar1: 0.1,
    tarAtFar01: 0.01,
    loss: 0.6,
  };
  const faces = {
    size: 8,
    channels: 1,
    pixels: Uint8Array.from({ length: 4 * 64 }, () => rng.nextInt(256)),
    entries: [],
  };
  const png = await renderPairGrid(faces, [{ a: 0, b: 1 }, { a: 2, b: 3 }]);
  const artifact = (stage: string, info: Record<string, unknown>) => ({
    stage,
    key: `${stage}key`,
    dir: "/nowhere",
    manifest: {
      stage,
      key: "k",
      code: { hash: "", files: {} },
      params: {},
      inputs: {},
      files: {},
      createdAt: "",
      durationSeconds: 1,
      tools: { deno: "2" },
      info,
    },
  });
  const buckets = {
    "1": 10,
    "2": 5,
    "3-5": 3,
    "6-10": 1,
    "11-25": 1,
    "26-75": 0,
    "76-200": 0,
    ">=201": 0,
  };
  const setStats = {
    pairs: 200,
    same: 100,
    different: 100,
    images: 300,
    people: 20,
    peoplePerBucket: buckets,
    topPeople: [],
  };
  return {
    record: {
      name,
      createdAt: "",
      updatedAt: "",
      status: options.interrupted ? "training" : "complete",
      keys: { prepare: "p", split: "s", train: "t", test: "x" },
      options: {
        split: { protocol: "lfw-view2" },
        train: {
          model: options.model ?? "seed",
          epochs: 30,
          adam: { learningRate: options.lr ?? 0.001 },
        },
      },
    },
    statusText: options.interrupted ? "interrupted at epoch 30 of 50" : "done",
    prepared: artifact("prepare", { images: 13232, imagesDir: "/data" }),
    split: artifact("split", {}),
    train: artifact("train", {
      backend: { name: "wasm", provider: "tfjs-backend-wasm" },
      threads: 2,
      trainingSeconds: 600,
    }),
    history: Array.from({ length: 30 }, (_, i) => ({
      epoch: i + 1,
      trainLoss: 0.7 - i * 0.01,
      trainAccuracy: 0.5 + i * 0.01,
      valLoss: 0.7 - i * 0.008,
      valAccuracy: 0.5 + i * 0.009,
      seconds: 20,
      pairsPerSecond: 90,
    })),
    stats: {
      dataset: { images: 13232, people: 5748, peoplePerBucket: buckets },
      sets: { train: setStats, val: setStats },
    },
    metrics: {
      experiment: name,
      threshold: 0.5,
      tta: 0,
      gallerySet: "val",
      sets: { val: setMetrics, test: setMetrics },
    },
    roc: {
      val: curve.map((p) => [p.fpr, p.tpr, null]),
      test: curve.map((p) => [p.fpr, p.tpr, null]),
    },
    errors: {
      set: "val",
      threshold: 0.5,
      falsePositives: [{ pair: 1, a: "A/A_0001.jpg", b: "B/B_0001.jpg", probability: 0.9 }],
      falseNegatives: [{ pair: 0, a: "C/C_0001.jpg", b: "C/C_0002.jpg", probability: 0.1 }],
    },
    galleries: { falsePositives: png, falseNegatives: png },
  };
}

Deno.test("the report's results table: model, objective, protocol, accuracy with its standard error, time, backend", async () => {
  const html = await buildReport([
    await syntheticExperiment("first", 1),
    await syntheticExperiment("second", 2),
  ]);
  assert.match(html, /<h2>Results<\/h2>/);
  for (const name of ["first", "second"]) {
    const row = new RegExp(
      `<tr><th>${name}</th><td>seed</td><td>pair</td><td>lfw-view2</td><td>[^<]*</td><td>\\d+\\.\\d\\d% &plusmn; \\d\\.\\d\\d% \\(200 pairs\\)</td>`,
    );
    assert.match(html, row);
  }
  assert.match(html, /<td>10\.0 min<\/td><td>30 of 30<\/td><td>wasm<\/td>/);
  assert.match(html, /Category: unrestricted, no outside data/);
});

/** The SVG of each chart figure of a page, in order. */
function figures(html: string): string[] {
  return [...html.matchAll(/<figure class="chart"[^>]*>([\s\S]*?)<\/figure>/g)].map((m) => m[1]);
}

/** The vega-lite specification embedded beside a figure's SVG. */
function specOf(figure: string): Record<string, any> {
  const json = figure.match(
    /<script type="application\/json" class="vega-lite-spec">([\s\S]*?)<\/script>/,
  );
  assert.ok(json, "the figure embeds its specification");
  return JSON.parse(json[1]);
}

/** The points of an SVG path made of M and L commands, in plot pixels. */
function pathPoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML]\s*(-?[\d.]+)[,\s](-?[\d.]+)/g)].map((
    m,
  ) => [Number(m[1]), Number(m[2])]);
}

/** The height of a polyline at `x` (pixels), interpolated between its points. */
function heightAt(points: [number, number][], x: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1], [x1, y1] = points[i];
    if ((x0 - x) * (x1 - x) <= 0 && x0 !== x1) return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
  }
  throw new Error(`the path does not reach x = ${x}`);
}

Deno.test("the low-false-accept ROC draws chance as y = x on its log axis: 0.10 at 10% false accepts", async () => {
  const html = await buildReport([await syntheticExperiment("first", 1)]);
  const figure = figures(html).find((f) => /ROC, low false-accept rates/.test(f));
  assert.ok(figure, "the log-FAR ROC chart");
  const spec = specOf(figure);
  const [floor, top] = spec.layer[0].encoding.x.scale.domain as [number, number];
  assert.equal(spec.layer[0].encoding.x.scale.type, "log");
  // The chance line is the dashed grey path.
  const d = figure.match(/<path[^>]* d="([^"]+)"[^>]*stroke="#999"[^>]*stroke-dasharray/)?.[1];
  assert.ok(d, "a dashed chance line");
  const points = pathPoints(d);
  const { width, height } = spec as { width: number; height: number };
  const xOf = (fpr: number) => width * Math.log10(fpr / floor) / Math.log10(top / floor);
  const tprAt = (fpr: number) => 1 - heightAt(points, xOf(fpr)) / height;
  for (const fpr of [0.001, 0.002, 0.01, 0.03, 0.1, 0.25, 0.5, 1]) {
    assert.ok(
      Math.abs(tprAt(fpr) - fpr) < 0.002 * Math.max(fpr, 0.01) + 0.0015,
      `chance at ${fpr}: ${tprAt(fpr)}`,
    );
  }
  assert.equal(tprAt(0.1).toFixed(2), "0.10");
  // The linear chart's chance line is the straight diagonal.
  const linear = figures(html).find((f) => /: ROC<\/text>|"title":"first: ROC"/.test(f))!;
  const straight = pathPoints(
    linear.match(/<path[^>]* d="([^"]+)"[^>]*stroke="#999"[^>]*stroke-dasharray/)![1],
  );
  assert.equal(straight.length, 2);
});

Deno.test("dataset skew: every bar has a height, and each group keeps its colour across experiments", async () => {
  const first = await syntheticExperiment("first", 1);
  const second = await syntheticExperiment("second", 2);
  // The second has test pairs too, and no training pairs: other groups, same colours.
  second.stats = {
    ...second.stats,
    sets: { val: first.stats.sets.val, test: { ...first.stats.sets.val, pairs: 300 } },
  };
  const html = await buildReport([first, second]);
  const skews = figures(html).filter((f) => /people per number of images/.test(f));
  assert.equal(skews.length, 2);
  const colours = skews.map((svg) => {
    const bars = [
      ...svg.matchAll(
        /<path aria-label="([^"]*)"[^>]*aria-roledescription="bar" d="([^"]+)" fill="([^"]+)"/g,
      ),
    ];
    assert.ok(bars.length >= 10, `${bars.length} bars`);
    const byGroup = new Map<string, string>();
    for (const [, label, d, fill] of bars) {
      // Vega draws a bar as M x,y h width v height h -width Z.
      const height = Number(d.match(/v(-?[\d.e]+)/)?.[1]);
      assert.ok(height > 0, `bar ${label}: height ${height}`);
      const group = label.match(/group: ([^;]+)/)![1];
      assert.ok(!byGroup.has(group) || byGroup.get(group) === fill, `one colour for ${group}`);
      byGroup.set(group, fill);
    }
    return byGroup;
  });
  assert.deepEqual([...colours[0].keys()], [
    "whole data set",
    "training pairs",
    "validation pairs",
  ]);
  assert.deepEqual([...colours[1].keys()], ["whole data set", "validation pairs", "test pairs"]);
  for (const group of ["whole data set", "validation pairs"]) {
    assert.equal(colours[0].get(group), colours[1].get(group), group);
  }
  assert.notEqual(colours[1].get("test pairs"), colours[0].get("training pairs"));
});

/** The section of experiment `name` on a report page. */
function sectionOf(html: string, name: string): string {
  const start = html.indexOf(`<section class="experiment"><h2>${name}</h2>`);
  assert.ok(start >= 0, `a section for ${name}`);
  return html.slice(start, html.indexOf("</section>", start));
}

/** A fitted (lda) experiment: one history record with validation figures only. */
async function fittedExperiment(name: string, seed: number): Promise<ExperimentData> {
  const e = await syntheticExperiment(name, seed, { model: "fisher_jb" });
  (e.record.options.train as Record<string, unknown>).epochs = 1;
  (e.record.options.train as Record<string, unknown>).objective = { kind: "lda", components: 400 };
  e.train!.manifest.info = { ...e.train!.manifest.info, classes: 3634, trainingExamples: 8732 };
  e.history = [{
    epoch: 1,
    trainLoss: null as unknown as number,
    trainAccuracy: null as unknown as number,
    valLoss: 0.2239,
    valAccuracy: 0.925,
    valAuc: 0.9751,
    seconds: 190,
    pairsPerSecond: 47,
  }];
  return e;
}

Deno.test("an identity model's history: each quantity in a panel of its own, named", async () => {
  const e = await syntheticExperiment("cosface", 3, { model: "seed_cosface" });
  e.history = e.history.map((h) => ({ ...h, trainLoss: 20 - h.epoch * 0.1, trainAccuracy: 0 }));
  const html = await buildReport([e]);
  const history = figures(html).find((f) => /loss and accuracy per epoch/.test(f))!;
  const spec = specOf(history);
  const panels = new Map<string, Set<string>>();
  for (const row of spec.data.values as { metric: string; set: string }[]) {
    panels.set(row.metric, (panels.get(row.metric) ?? new Set()).add(row.set));
  }
  assert.deepEqual([...panels.keys()], [
    "training loss (identities, CosFace)",
    "training accuracy (identities)",
    "validation loss (pairs)",
    "validation accuracy (pairs)",
  ]);
  for (const [metric, sets] of panels) assert.equal(sets.size, 1, `${metric}: one set`);
  assert.deepEqual(spec.resolve, { scale: { y: "independent" } });
  // The rendered chart names each panel.
  for (const metric of panels.keys()) {
    assert.ok(history.includes(`>${metric}</text>`), `a panel titled ${metric}`);
  }
  // A pair model keeps its training and validation figures together: the same quantities.
  const pair = specOf(
    figures(await buildReport([await syntheticExperiment("pair", 1)]))
      .find((f) => /loss and accuracy per epoch/.test(f))!,
  );
  assert.deepEqual(pair.facet.sort, ["loss", "accuracy"]);
});

Deno.test("a fitted model shows its fit's steps and validation figures, not an empty epoch chart", async () => {
  const html = await buildReport([await fittedExperiment("fisher", 4)]);
  const section = sectionOf(html, "fisher");
  assert.doesNotMatch(section, /per epoch|Training history/);
  assert.match(section, /<h3>Fit<\/h3>/);
  assert.match(section, /descriptors of 8732 training images \(3634 people\)/);
  assert.match(section, /PCA to 400 whitened components, then LDA to \d+ dimensions/);
  assert.match(section, /Joint Bayesian head/);
  assert.match(section, /<th>validation accuracy<\/th><td>92\.50%<\/td>/);
  assert.match(section, /<th>validation AUC<\/th><td>0\.9751<\/td>/);
  assert.match(section, /<dt>epochs done<\/dt><dd>none \(fitted\)<\/dd>/);
  assert.match(html, /<td>fitted<\/td>/, "the results table says fitted, not 1 of 1");
  assert.doesNotMatch(section, /EM iterations/, "the closed form");
  const refined = await fittedExperiment("refined", 5);
  (refined.record.options.train as Record<string, unknown>).model =
    "lbp:scales=1/pca=40/lda=10/jb:em=20";
  assert.match(
    sectionOf(await buildReport([refined]), "refined"),
    /Joint Bayesian head fitted on the training people&#39;s projections, its covariances refined by 20 EM iterations/,
  );
});

Deno.test("the comparison's training curves: a training loss per objective, fitted models left out", async () => {
  const cosface = await syntheticExperiment("cosface", 3, { model: "seed_cosface" });
  cosface.history = cosface.history.map((h) => ({ ...h, trainLoss: 20 }));
  const html = await buildReport([
    await syntheticExperiment("pair", 1),
    cosface,
    await fittedExperiment("fisher", 4),
  ]);
  const spec = specOf(figures(html)[0]);
  assert.deepEqual(spec.facet.sort, [
    "validation accuracy",
    "validation AUC",
    "validation loss (pairs)",
    "training loss (pairs)",
    "training loss (identities, CosFace)",
  ]);
  const rows = spec.data.values as { experiment: string; metric: string }[];
  assert.ok(!rows.some((r) => r.experiment === "fisher"), "no fitted curve");
  assert.ok(
    rows.filter((r) => r.metric.startsWith("training loss")).every((r) =>
      r.metric ===
        (r.experiment === "pair" ? "training loss (pairs)" : "training loss (identities, CosFace)")
    ),
  );
  assert.match(html, /Not drawn \(no epochs\): fisher\./);
});

Deno.test("the comparison compares like with like: one ROC chart per protocol and set, each curve labelled", async () => {
  // A seed-protocol experiment that was never tested, and two tested View 1 ones.
  const seed = await syntheticExperiment("seedrun", 5);
  seed.record.options.split = { seed: 42 };
  seed.roc = { val: seed.roc!.val };
  seed.metrics = { ...seed.metrics!, sets: { val: seed.metrics!.sets.val } };
  const views = [await syntheticExperiment("view1a", 6), await syntheticExperiment("view1b", 7)];
  for (const e of views) e.record.options.split = { protocol: "lfw-view1", seed: 42 };
  const html = await buildReport([seed, ...views]);
  const start = html.indexOf('<section class="comparison">');
  const comparison = html.slice(start, html.indexOf("</section>", start));
  const rocs = figures(comparison).map(specOf).filter((spec) => /^ROC/.test(spec.title));
  assert.deepEqual(rocs.map((spec) => spec.title), [
    "ROC on the validation pairs, seed protocol",
    "ROC on the test pairs, LFW View 1",
  ]);
  const curves = rocs.map((spec) => [
    ...new Set((spec.layer[1].data.values as { curve: string }[]).map((r) => r.curve)),
  ]);
  assert.equal(curves[0].length, 1);
  assert.match(curves[0][0], /^seedrun: validation, seed protocol \(AUC 0\.\d{3}\)$/);
  assert.deepEqual(curves[1].map((l) => l.replace(/ \(AUC.*/, "")), [
    "view1a: test, LFW View 1",
    "view1b: test, LFW View 1",
  ]);
  // The table reads as text: option names in words, values without JSON quotes or null.
  const table = comparison.slice(0, comparison.indexOf("</table>"));
  assert.match(
    table,
    /<tr><th>protocol<\/th><td>seed protocol<\/td><td>LFW View 1<\/td><td>LFW View 1<\/td><\/tr>/,
  );
  assert.doesNotMatch(table, /&quot;|\bnull\b|>split\.|>train\./);
  assert.match(table, /<tr><th>test accuracy \(AUC\)<\/th><td>–<\/td>/);
});

Deno.test("rendering the report prints no Vega warnings, and a broken chart still fails", async () => {
  const printed: string[] = [];
  const saved = { warn: console.warn, log: console.log, error: console.error, info: console.info };
  for (const method of ["warn", "log", "error", "info"] as const) {
    console[method] = (...args: unknown[]) => printed.push(`${method}: ${args.join(" ")}`);
  }
  try {
    // ROC charts with threshold markers made vega-lite warn about their legend.
    await buildReport([
      await syntheticExperiment("first", 1),
      await syntheticExperiment("second", 2),
    ]);
  } finally {
    Object.assign(console, saved);
  }
  assert.deepEqual(printed, []);
  await assert.rejects(() => renderSvg({ mark: "no-such-mark", data: { values: [] } }));
});

Deno.test("several experiments: overlaid curves and ROC in one colour per experiment, differing options, statuses", async () => {
  const html = await buildReport([
    await syntheticExperiment("first", 1),
    await syntheticExperiment("second", 2, { interrupted: true, lr: 0.01 }),
  ]);
  const comparison = html.slice(html.indexOf('<section class="comparison">'));
  assert.ok(html.includes('<section class="comparison">'));
  // One column per experiment; a row names the differing option, and no row mixes sets.
  assert.match(
    comparison,
    /<tr><th>status<\/th><td>done<\/td><td>interrupted at epoch 30 of 50<\/td><\/tr>/,
  );
  assert.match(
    comparison,
    /<tr><th title="train\.adam\.learningRate">learning rate<\/th><td>0\.001<\/td><td>0\.01<\/td><\/tr>/,
  );
  assert.match(comparison, /<tr><th>validation accuracy \(AUC\)<\/th>/);
  assert.match(comparison, /<tr><th>test accuracy \(AUC\)<\/th>/);
  assert.match(html, /protocol lfw-view2; interrupted at epoch 30 of 50\./);
  // The first two figures are the comparison's: each experiment's colour is in both.
  const [curves, roc] = figures(html);
  for (const colour of [EXPERIMENT_PALETTE[0], EXPERIMENT_PALETTE[1]]) {
    assert.ok(curves.includes(`stroke="${colour}"`), `curves in ${colour}`);
    assert.ok(roc.includes(`stroke="${colour}"`), `ROC in ${colour}`);
  }
  assert.ok(!curves.includes(`stroke="${EXPERIMENT_PALETTE[2]}"`), "only two experiments' colours");
  // Each experiment's ROC marks its chosen threshold and has a log-FAR view with the diagonal.
  assert.match(html, /false-accept rate \(log scale\)/);
  assert.match(html, /moving average \(20 epochs\)/);
});

Deno.test("the report is one self-contained page whose charts render in Chromium", {
  ignore: needs("lfw", "chromium"),
}, async () => {
  const published = await loadPublishedRocs(join(lfwDataRoot(), "published-roc"));
  const html = await buildReport([
    await syntheticExperiment("first", 1),
    await syntheticExperiment("second", 2, { interrupted: true, lr: 0.01 }),
  ], { published });
  // Self-contained: no external scripts, styles or images.
  assert.doesNotMatch(html, /<script[^>]+src=|<link |<img[^>]+src="http|url\(http/);
  assert.equal(
    (html.match(/<svg /g) ?? []).length,
    10,
    "history, ROC, log-FAR ROC and skew per experiment; overlaid curves and ROC",
  );
  assert.equal((html.match(/class="vega-lite-spec"/g) ?? []).length, 10);
  assert.match(html, /Eigen-PEP \(88\.97%, image-restricted\)/);
  const dir = tempDir();
  const page = join(dir, "report.html");
  Deno.writeTextFileSync(page, html);
  const browser = (extra: string[]) =>
    runChromium(`file://${page}`, ["--enable-logging=stderr", "--v=0", ...extra]);
  const dom = await browser(["--dump-dom"]);
  const text = dom.stdout;
  const log = dom.stderr;
  assert.ok(dom.success, log.slice(-500));
  assert.doesNotMatch(log, /CONSOLE\(|Uncaught/, "no console messages or errors");
  // The rendered DOM holds the charts' marks: lines (history, ROC) and bars (skew).
  const lineMarks = (text.match(/class="mark-line role-mark/g) ?? []).length;
  const barPaths =
    (text.match(/<g class="mark-rect role-mark[^"]*"[^>]*>(<path[^>]*>(<\/path>)?)+/g) ?? []).join(
      "",
    ).match(/<path/g)?.length ?? 0;
  assert.ok(lineMarks >= 6, `${lineMarks} line marks`);
  assert.ok(barPaths >= 20, `${barPaths} bars`);
  assert.equal((text.match(/<img class="gallery"/g) ?? []).length, 4);
  // Rendered: legends exist, the interrupted run says so, and in the comparison each
  // experiment's colour is the same on the curves and on the ROC chart.
  assert.ok((text.match(/class="mark-group role-legend"/g) ?? []).length >= 6, "legends");
  assert.match(text, /protocol lfw-view2; interrupted at epoch 30 of 50\./);
  const renderedFigures = [...text.matchAll(/<figure class="chart"[^>]*>([\s\S]*?)<\/figure>/g)]
    .map((m) => m[1]);
  for (const colour of EXPERIMENT_PALETTE.slice(0, 2)) {
    assert.ok(renderedFigures[0].includes(`stroke="${colour}"`), `rendered curves in ${colour}`);
    assert.ok(renderedFigures[1].includes(`stroke="${colour}"`), `rendered ROC in ${colour}`);
  }
  // Keep a screenshot as a test output.
  const shot = join(artifactsRoot(), "test-outputs", "report_screenshot.png");
  Deno.mkdirSync(join(artifactsRoot(), "test-outputs"), { recursive: true });
  const screenshot = await browser(["--window-size=1400,2200", `--screenshot=${shot}`]);
  assert.ok(screenshot.success);
  assert.ok(Deno.statSync(shot).size > 10_000);
});

Deno.test("the report's published results come from the committed records, as the README's", async () => {
  const { markdownTable } = await import("../../lib/pipeline/results_table.ts");
  const record = {
    format: 1,
    id: "v2_blind@0123456789ab",
    experiment: "v2_blind",
    kind: "ten-fold",
    model: "fisher100_512_jb",
    protocol: "lfw-view2",
    folds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    images: "x",
    crop: { box: [62, 52, 188, 202], size: 100, grey: true },
    options: { experiment: {}, test: {} },
    chosenBy: "view1",
    chosenIn: "probe:blind_view1",
    headline: { set: "view2", accuracy: 0.9123, standardError: 0.0041, auc: 0.975, pairs: 6000 },
    metrics: {},
    thresholds: [0.5],
    git: { commit: "abcdef0123456789", dirty: false },
    code: { train: ["a"], test: "b" },
    compute: { testBackend: "wasm" },
    machine: { cpu: "cpu", cores: 2, memoryGiB: 24, os: "linux", host: "h" },
    seconds: { training: 3600, test: 600 },
    commands: { train: ["deno task train v2_blind"], test: "deno task test v2_blind" },
    createdAt: "2026-12-06T00:00:00Z",
  } as const;
  const stored = [{ path: "/x/results/v2_blind.json", record: record as never }];
  const html = await buildReport([], { publishedResults: stored });
  assert.match(html, /<h2>Published results<\/h2>/);
  assert.match(
    html,
    /<td>v2_blind<\/td><td>fisher100_512_jb<\/td><td>LFW View 2, ten folds<\/td><td>91\.23% \+- 0\.41<\/td><td>0\.9750<\/td><td>View 1 \(probe:blind_view1\)<\/td>/,
  );
  assert.match(html, /<code>results\/v2_blind\.json<\/code>/);
  // The README's table shows the same cells.
  assert.match(
    markdownTable(stored),
    /\| 91\.23% \+- 0\.41 \| 0\.9750 \| View 1 \(probe:blind_view1\) \|/,
  );
  assert.doesNotMatch(await buildReport([], {}), /Published results/);
});
