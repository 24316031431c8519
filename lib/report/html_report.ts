/**
 * The report: one self-contained HTML page (inline CSS, charts pre-rendered to SVG, galleries as
 * data URIs, no script and no network) for one or several experiments side by side. Each chart's
 * vega-lite specification is embedded beside it as JSON.
 * @module
 */
import { encodeBase64 } from "./base64.ts";
import {
  comparisonChart,
  experimentColours,
  historyChart,
  rocChart,
  type RocMarker,
  type RocSeries,
  skewChart,
} from "./charts.ts";
import { differingParams, flattenOptions } from "../pipeline/experiment_summary.ts";
import type { ExperimentData, TenFoldData } from "./experiment_data.ts";
import type { PublishedRoc } from "./published_roc.ts";
import { MODELS } from "../model/registry.ts";
import type { BackendInfo } from "../backend/select_backend.ts";
import { renderSvg, type VegaLiteSpec } from "./render_chart.ts";
import type { SetMetrics } from "../pipeline/test_stage.ts";

/** Options of {@linkcode buildReport}. */
export interface ReportOptions {
  /** Published View 2 curves to draw under ours (for View 2 experiments, or on request). */
  published?: PublishedRoc[];
  /** Draw the published curves for every experiment, not only View 2 ones. */
  publishedForAll?: boolean;
  /** Page title. */
  title?: string;
  /** Links to each experiment's comparison page, by experiment name (relative hrefs). */
  comparePages?: Record<string, string>;
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
/** A rate as a percentage; `null` (not supported by the data) reads n/a. */
const pct = (
  x: number | null | undefined,
) => (x === null
  ? "n/a"
  : x === undefined || !Number.isFinite(x)
  ? "–"
  : `${(100 * x).toFixed(2)}%`);
const SET_NAMES: Record<string, string> = {
  train: "training (sample)",
  val: "validation",
  test: "test",
};

let chartCount = 0;

async function chart(spec: VegaLiteSpec): Promise<string> {
  const id = `chart-${++chartCount}`;
  const svg = await renderSvg(spec);
  // "<" is escaped so that no string in the data can close the script element.
  const json = JSON.stringify(spec).replace(/</g, "\\u003c");
  return `<figure class="chart" id="${id}">${svg}<script type="application/json" class="vega-lite-spec">${json}</script></figure>`;
}

function metricsTable(sets: Record<string, SetMetrics>, threshold: number): string {
  const rows = Object.entries(sets).map(([name, m]) =>
    `<tr><th>${esc(SET_NAMES[name] ?? name)}</th><td>${m.pairs}</td><td>${
      pct(m.atThreshold.accuracy)
    }</td>` +
    `<td>${pct(m.atHalf.accuracy)}</td><td>${pct(m.atThreshold.errorRate)}</td><td>${
      pct(m.atThreshold.recall)
    }</td>` +
    `<td>${pct(m.atThreshold.precision)}</td><td>${pct(m.atThreshold.f1)}</td><td>${
      m.auc.toFixed(4)
    }</td>` +
    `<td>${pct(m.eer)}</td><td>${pct(m.tarAtFar1)}</td><td>${pct(m.tarAtFar01)}</td><td>${
      m.loss.toFixed(4)
    }</td></tr>`
  );
  return `<div class="scroll"><table class="metrics"><thead><tr><th>set</th><th>pairs</th><th>accuracy</th><th>acc. at 0.5</th>` +
    `<th>error rate</th><th>recall</th><th>precision</th><th>F1</th><th>AUC</th><th>EER</th><th>TAR@1%FAR</th>` +
    `<th>TAR@0.1%FAR</th><th>loss</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>` +
    `<p class="note">Accuracy, error rate, recall, precision and F1 at the threshold ${
      threshold.toFixed(4)
    }, ` +
    `chosen on the validation set; "acc. at 0.5" uses 0.5.</p>`;
}

function gallery(
  title: string,
  png: Uint8Array | undefined,
  entries: { a: string; b: string; probability: number }[],
): string {
  if (!png || entries.length === 0) return `<h4>${esc(title)}</h4><p class="note">none</p>`;
  const items = entries.map((e, i) =>
    `<li>${i + 1}. ${esc(e.a)} / ${esc(e.b)}: p = ${e.probability.toFixed(3)}</li>`
  ).join("");
  return `<h4>${esc(title)}</h4><img class="gallery" alt="${
    esc(title)
  }" src="data:image/png;base64,${encodeBase64(png)}">` +
    `<details><summary>pairs (row by row)</summary><ol class="plain">${items}</ol></details>`;
}

function facts(e: ExperimentData): string {
  const info = (e.train?.manifest.info ?? {}) as Record<string, unknown>;
  const backend = info.backend as { name?: string; provider?: string } | undefined;
  const rows: [string, unknown][] = [
    ["status", e.statusText],
    ["model", (e.record.options.train as { model?: string })?.model],
    ["epochs done", e.history.length],
    ["backend", backend ? `${backend.name} (${backend.provider})` : "–"],
    ["training threads", info.threads ?? "–"],
    ["hardware", info.hardware ? JSON.stringify(info.hardware) : "–"],
    [
      "training time",
      info.trainingSeconds ? `${(info.trainingSeconds as number / 60).toFixed(1)} min` : "–",
    ],
    [
      "mean throughput",
      info.pairsPerSecond ? `${(info.pairsPerSecond as number).toFixed(1)} pairs/s` : "–",
    ],
    ["images", e.prepared.manifest.info.images],
    ["image folder", e.prepared.manifest.info.imagesDir],
    [
      "artifact keys",
      Object.entries(e.record.keys).map(([k, v]) => `${k} ${String(v).slice(0, 12)}`).join(", "),
    ],
    ["tools", JSON.stringify(e.prepared.manifest.tools)],
  ];
  return `<dl class="facts">${
    rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v ?? "–")}</dd>`).join("")
  }</dl>` +
    `<details><summary>all options</summary><pre>${
      esc(JSON.stringify(e.record.options, null, 2))
    }</pre></details>`;
}

async function experimentSection(e: ExperimentData, options: ReportOptions): Promise<string> {
  const name = e.record.name;
  const protocol = (e.record.options.split as { protocol?: string })?.protocol ?? "seed";
  const parts: string[] = [`<section class="experiment"><h2>${esc(name)}</h2>`];
  parts.push(
    `<p class="note">protocol ${esc(protocol)}; ${esc(e.statusText)}. ${
      PROTOCOL_NOTES[protocol] ?? ""
    }</p>`,
  );
  const page = options.comparePages?.[name];
  if (page) {
    parts.push(
      `<p><a href="${esc(page)}">Compare two photos with this model</a> (runs in the browser)</p>`,
    );
  }
  parts.push("<h3>Metrics</h3>");
  if (e.metrics?.nearChance) {
    parts.push(
      `<p class="warning"><strong>No better than chance:</strong> the validation AUC (${
        e.metrics.sets.val.auc.toFixed(3)
      }) is within noise of 0.5; this model is untrained or failed to learn.</p>`,
    );
  }
  parts.push(
    e.metrics
      ? metricsTable(e.metrics.sets, e.metrics.threshold)
      : `<p class="note">Not evaluated yet: run <code>deno task test ${esc(name)}</code>.</p>`,
  );
  parts.push("<h3>Training history</h3>");
  parts.push(
    e.history.length
      ? await chart(historyChart(e.history, `${name}: loss and accuracy per epoch`))
      : `<p class="note">No epoch finished yet.</p>`,
  );
  if (e.roc) {
    const series: RocSeries[] = Object.entries(e.roc).map(([set, points]) => ({
      label: `${name}: ${SET_NAMES[set] ?? set} (AUC ${
        e.metrics?.sets[set]?.auc.toFixed(3) ?? "?"
      })`,
      source: "ours",
      points: thin(points.map(([f, t]) => [f, t] as [number, number]), 400),
    }));
    if (options.published && (options.publishedForAll || protocol === "lfw-view2")) {
      for (const p of options.published) {
        if (p.points.length) {
          series.push({
            label: `${p.method} (${pct(p.meanAccuracy)}, image-restricted)`,
            source: "published",
            points: p.points,
          });
        }
      }
    }
    const markers = thresholdMarkers(e, (set) => series[Object.keys(e.roc!).indexOf(set)].label);
    parts.push(
      "<h3>ROC</h3>",
      `<p class="note">Diamonds: the threshold chosen on validation (${
        e.metrics?.threshold.toFixed(3) ?? "?"
      }); dashed: chance.</p>`,
      await chart(rocChart(series, `${name}: ROC`, { markers })),
      await chart(rocChart(series, `${name}: ROC, low false-accept rates`, { markers, logFar: true })),
    );
  }
  parts.push(
    "<h3>Dataset skew</h3>",
    await chart(skewChart(e.stats, `${name}: people per number of images`)),
  );
  if (e.errors) {
    parts.push(`<h3>Errors on the ${esc(SET_NAMES[e.errors.set] ?? e.errors.set)} set</h3>`);
    parts.push(
      gallery(
        "False positives (different people judged the same), most confident first",
        e.galleries.falsePositives,
        e.errors.falsePositives,
      ),
    );
    parts.push(
      gallery(
        "False negatives (the same person judged different), most confident first",
        e.galleries.falseNegatives,
        e.errors.falseNegatives,
      ),
    );
  }
  parts.push("<h3>Run facts</h3>", facts(e), "</section>");
  return parts.join("\n");
}

/** Where each set's curve passes the chosen threshold (from the test stage's confusion counts). */
function thresholdMarkers(e: ExperimentData, labelOf: (set: string) => string): RocMarker[] {
  if (!e.metrics || !e.roc) return [];
  return Object.keys(e.roc).flatMap((set) => {
    const m = e.metrics!.sets[set]?.atThreshold;
    if (!m || m.fp + m.tn === 0 || m.tp + m.fn === 0) return [];
    return [{ label: labelOf(set), fpr: m.fp / (m.fp + m.tn), tpr: m.tp / (m.tp + m.fn) }];
  });
}

/** The curve of a single experiment's test set, else its validation set, for overlays. */
function mainSet(e: ExperimentData): string | undefined {
  return e.roc?.test ? "test" : e.roc?.val ? "val" : undefined;
}

/**
 * Several single experiments side by side: their curves overlaid per metric and their ROC on
 * one chart, one colour per experiment (the same in every chart of this section), and a table of
 * the parameters that differ and the metrics, each column from one named set.
 */
async function comparisonSection(runs: ExperimentData[]): Promise<string> {
  const names = runs.map((e) => e.record.name);
  const colours = experimentColours(names);
  const flat = runs.map((e) => flattenOptions(e.record.options));
  const keys = differingParams(flat.map((params) => ({ params })));
  const metric = (e: ExperimentData, set: string) => {
    const m = e.metrics?.sets[set];
    return m ? `${pct(m.atThreshold.accuracy)} (${m.auc.toFixed(3)})` : "–";
  };
  const swatch = (i: number) =>
    `<span class="swatch" style="background:${colours.range[i]}"></span>`;
  const table = `<div class="scroll"><table class="metrics comparison"><thead><tr><th>experiment</th>${
    keys.map((k) => `<th>${esc(k)}</th>`).join("")
  }<th>status</th><th>validation accuracy (AUC)</th><th>test accuracy (AUC)</th></tr></thead><tbody>${
    runs.map((e, i) =>
      `<tr><th>${swatch(i)}${esc(e.record.name)}</th>${
        keys.map((k) => `<td>${esc(JSON.stringify(flat[i][k] ?? null))}</td>`).join("")
      }<td>${esc(e.statusText)}</td><td>${metric(e, "val")}</td><td>${metric(e, "test")}</td></tr>`
    ).join("")
  }</tbody></table></div><p class="note">Columns before "status": the options that differ between these experiments. Accuracy at each experiment's validation-chosen threshold; validation and test figures are never mixed in one column.</p>`;
  const parts = [
    `<section class="comparison"><h2>Comparison</h2>`,
    table,
    await chart(comparisonChart(
      runs.map((e) => ({ name: e.record.name, history: e.history })),
      "Training curves, one colour per experiment",
      colours,
    )),
  ];
  const rocRuns = runs.filter((e) => mainSet(e) !== undefined);
  if (rocRuns.length > 0) {
    const series: RocSeries[] = rocRuns.map((e) => {
      const set = mainSet(e)!;
      return {
        label: `${e.record.name}: ${SET_NAMES[set] ?? set} (AUC ${
          e.metrics?.sets[set]?.auc.toFixed(3) ?? "?"
        })`,
        source: "ours",
        points: thin(e.roc![set].map(([f, t]) => [f, t] as [number, number]), 400),
      };
    });
    const rocColours = {
      domain: series.map((s) => s.label),
      range: rocRuns.map((e) => colours.range[names.indexOf(e.record.name)]),
    };
    const markers = rocRuns.flatMap((e, i) =>
      thresholdMarkers({ ...e, roc: { [mainSet(e)!]: e.roc![mainSet(e)!] } }, () => series[i].label)
    );
    parts.push(
      await chart(rocChart(series, "ROC of each experiment (test set, or validation when untested)", {
        markers,
        colours: rocColours,
      })),
    );
  }
  parts.push("</section>");
  return parts.join("\n");
}

/**
 * What each protocol's figures may be compared with. Every protocol here draws its training
 * pairs (or identities) from the training people's labels: LFW's "unrestricted" setting.
 */
export const PROTOCOL_NOTES: Record<string, string> = {
  seed:
    "The seed protocol is the original project's: its sets share no image but do share people, so its figures are not person-disjoint and not comparable to LFW results.",
  "lfw-view1":
    "LFW View 1 (pairsDevTest), unrestricted setting (training from the training people's labels), no outside data; validation people are held out of training.",
  "lfw-view2":
    "LFW View 2, unrestricted setting (training from the training people's labels), no outside data.",
};

/** The category of this project's LFW results, and why the published table is not a ranking. */
export const CATEGORY_NOTE =
  "Category: unrestricted, no outside data (training pairs and identities are drawn from the training people's labels). " +
  "LFW's results page has no table for this category; the published results below are image-restricted " +
  "(training only on the given pairs), another and harder category, shown as the nearest references and not ranked against ours.";

async function tenFoldSection(t: TenFoldData, options: ReportOptions): Promise<string> {
  const name = t.record.name;
  const parts: string[] = [
    `<section class="experiment"><h2>${esc(name)} (LFW View 2, ten folds)</h2>`,
  ];
  parts.push(
    `<p class="note">${
      t.folds.filter((f) => f.train).length
    } of ${t.record.folds.length} folds trained; ${esc(t.record.status)}</p>`,
  );
  const m = t.metrics;
  if (!m) {
    parts.push(
      `<p class="note">Not evaluated yet: run <code>deno task test ${esc(name)}</code>.</p>`,
    );
  } else {
    parts.push(
      `<h3>Accuracy</h3><p><strong>${pct(m.mean)} &plusmn; ${pct(m.standardError)}</strong> ` +
        `(mean &plusmn; standard error over ${m.folds.length} folds; each fold's threshold chosen on its validation pairs, whose people were held out of its training)` +
        (m.protocolMean != null && m.protocolMean !== m.mean
          ? `; with the protocol's thresholds (chosen on the other nine folds' pairs, which each fold model trained on): ${
            pct(m.protocolMean)
          } &plusmn; ${pct(m.protocolStandardError)}`
          : "") +
        `</p><p class="note">${esc(CATEGORY_NOTE)}</p>`,
    );
    const rows = m.folds.map((f) =>
      `<tr><th>${f.fold}</th><td>${f.pairs}</td><td>${pct(f.accuracy)}</td><td>${
        f.threshold.toFixed(4)
      }</td><td>${pct(f.protocolAccuracy)}</td><td>${
        f.protocolThreshold?.toFixed(4) ?? "–"
      }</td><td>${f.auc.toFixed(4)}</td></tr>`
    );
    parts.push(
      `<div class="scroll"><table class="metrics"><thead><tr><th>fold</th><th>pairs</th><th>accuracy</th><th>threshold (held-out people)</th><th>accuracy, protocol threshold</th><th>protocol threshold</th><th>AUC</th></tr></thead><tbody>${
        rows.join("")
      }</tbody></table></div>`,
    );
    parts.push(
      `<p class="note">Pooled over the folds: AUC ${m.pooled.auc.toFixed(4)}, EER ${
        pct(m.pooled.eer)
      }, TAR ${pct(m.pooled.tarAtFar1)} at 1% FAR, ${pct(m.pooled.tarAtFar01)} at 0.1% FAR.${
        m.dropped.length ? ` ${m.dropped.length} protocol pair(s) left out (missing images).` : ""
      }</p>`,
    );
    if (options.published?.length) {
      // Listed on their own: a table that placed our row among them would rank across categories.
      const table = [...options.published]
        .sort((a, b) => b.meanAccuracy - a.meanAccuracy)
        .map((p) =>
          `<tr><th>${esc(p.method)}</th><td>${pct(p.meanAccuracy)}</td><td>${
            pct(p.standardError)
          }</td></tr>`
        );
      parts.push(
        `<h4>Nearest references: published results, image-restricted, no outside data (another category; not a ranking of this result)</h4><div class="scroll"><table class="metrics"><thead><tr><th>method</th><th>accuracy</th><th>standard error</th></tr></thead><tbody>${
          table.join("")
        }</tbody></table></div>`,
      );
    }
  }
  if (t.roc?.test) {
    const series: RocSeries[] = [{
      label: `${name} (${pct(m?.mean)})`,
      source: "ours",
      points: thin(t.roc.test.map(([f, p]) => [f, p] as [number, number]), 400),
    }];
    for (const p of options.published ?? []) {
      if (p.points.length) {
        series.push({
          label: `${p.method} (${pct(p.meanAccuracy)}, image-restricted)`,
          source: "published",
          points: p.points,
        });
      }
    }
    parts.push(
      "<h3>ROC (ten test folds pooled)</h3>",
      await chart(rocChart(series, `${name}: ROC on LFW View 2`)),
    );
  }
  const firstFold = t.folds[0];
  if (firstFold?.history.length) {
    parts.push(
      "<h3>Training history (fold 1)</h3>",
      await chart(
        historyChart(firstFold.history, `${firstFold.record.name}: loss and accuracy per epoch`),
      ),
    );
    parts.push(
      "<h3>Dataset skew (fold 1)</h3>",
      await chart(
        skewChart(firstFold.stats, `${firstFold.record.name}: people per number of images`),
      ),
    );
    parts.push("<h3>Run facts (fold 1)</h3>", facts(firstFold));
  }
  parts.push("</section>");
  return parts.join("\n");
}

function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}

/** The standard error of an accuracy measured on `n` independent pairs (binomial). */
function binomialSe(accuracy: number, n: number): number {
  return Math.sqrt(accuracy * (1 - accuracy) / n);
}

/** One row of the results table: what was trained, how, and what it scored. */
function resultRow(e: ExperimentData | TenFoldData): string {
  const options = e.record.options as {
    split?: { protocol?: string };
    train?: { model?: string; epochs?: number };
    images?: string;
  };
  const modelName = options.train?.model ?? "?";
  // The recorded objective (an ensemble's model is not in the registry's list), else the model's.
  const objective = (options.train as { objective?: { kind?: string } } | undefined)?.objective
    ?.kind ?? MODELS[modelName]?.objective.kind ?? "?";
  const images = String(options.images ?? "").split("/").filter(Boolean).pop() ?? "";
  const cell = (x: string) => `<td>${x}</td>`;
  let accuracy = "–", validation = "–", auc = "–", minutes = 0, epochs = "", backend = "–";
  if (e.record.kind === "ten-fold") {
    const t = e as TenFoldData;
    if (t.metrics) {
      accuracy = `${pct(t.metrics.mean)} &plusmn; ${pct(t.metrics.standardError)} (10 folds)`;
      auc = t.metrics.pooled.auc.toFixed(4);
    }
    minutes = t.folds.reduce((m, f) => m + f.history.reduce((s, h) => s + h.seconds, 0), 0) / 60;
    epochs = `${t.folds.filter((f) => f.train).length} of 10 folds`;
    const info = t.folds[0]?.train?.manifest.info as { backend?: BackendInfo } | undefined;
    if (info?.backend) {
      backend = [info.backend.name, info.backend.kernels].filter(Boolean).join(", ");
    }
  } else {
    const x = e as ExperimentData;
    const sets = x.metrics?.sets;
    const main = sets?.test;
    if (main) {
      accuracy = `${pct(main.atThreshold.accuracy)} &plusmn; ${
        pct(binomialSe(main.atThreshold.accuracy, main.pairs))
      } (${main.pairs} pairs)`;
    }
    validation = pct(sets?.val?.atThreshold.accuracy);
    auc = (main ?? sets?.val)?.auc.toFixed(4) ?? "–";
    // An ensemble's time includes its members' training (recorded with it).
    minutes = (x.history.reduce((s, h) => s + h.seconds, 0) +
      ((x.train?.manifest.info as { membersTrainingSeconds?: number } | undefined)
        ?.membersTrainingSeconds ?? 0)) / 60;
    epochs = `${x.history.length} of ${options.train?.epochs ?? "?"}${
      x.metrics?.unfinished ? " (unfinished)" : ""
    }`;
    const info = x.train?.manifest.info as { backend?: BackendInfo } | undefined;
    if (info?.backend) {
      backend = [info.backend.name, info.backend.kernels].filter(Boolean).join(", ");
    }
  }
  return `<tr><th>${esc(e.record.name)}</th>` +
    [
      esc(modelName),
      esc(objective),
      esc(options.split?.protocol ?? "seed"),
      esc(images),
      accuracy,
      validation,
      auc,
      `${minutes.toFixed(1)} min`,
      esc(epochs),
      esc(backend),
    ].map(cell).join("") + "</tr>";
}

/** The results table of every experiment on the page, as in the README. */
function resultsTable(all: (ExperimentData | TenFoldData)[]): string {
  return `<div class="scroll"><table class="metrics"><thead><tr><th>experiment</th><th>model</th><th>objective</th><th>protocol</th><th>images</th>` +
    `<th>test accuracy &plusmn; SE</th><th>validation accuracy</th><th>AUC</th><th>training time</th><th>epochs</th><th>backend, kernels</th></tr></thead><tbody>${
      all.map(resultRow).join("")
    }</tbody></table></div><p class="note">Accuracy at the threshold chosen on validation; the standard error is binomial for one test set and over folds for View 2. ${
      esc(CATEGORY_NOTE)
    }</p>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:19px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px}
.experiments{display:grid;grid-template-columns:repeat(auto-fit,minmax(900px,1fr));gap:28px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px;vertical-align:baseline}
figure.chart svg{max-width:100%;height:auto}
table.metrics{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0}
table.metrics th,table.metrics td{border:1px solid #ddd;padding:2px 5px;text-align:right;font-size:13px}
table.metrics th:first-child{text-align:left}thead th{background:#f4f4f4}
.experiment{min-width:0}tr.ours th,tr.ours td{background:#fff4d6;font-weight:600}.scroll{overflow-x:auto}
.note{color:#666;font-size:12px;margin:4px 0}.warning{color:#a40000;background:#fff0f0;padding:4px 8px}figure.chart{margin:6px 0}
img.gallery{image-rendering:pixelated;border:1px solid #eee;max-width:100%}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:12px}
dl.facts dt{color:#666}dl.facts dd{margin:0;word-break:break-all}ol.plain{font-size:12px}
pre{font-size:11px;background:#f7f7f7;padding:8px;overflow:auto}`;

/** Builds the report page for `all` experiments (single or ten-fold), side by side. */
export async function buildReport(
  all: (ExperimentData | TenFoldData)[],
  options: ReportOptions = {},
): Promise<string> {
  const isTenFold = (e: ExperimentData | TenFoldData): e is TenFoldData =>
    e.record.kind === "ten-fold";
  const title = options.title ??
    `face-comparer report: ${all.map((e) => e.record.name).join(", ")}`;
  const singles = all.filter((e): e is ExperimentData => !isTenFold(e));
  const comparison = singles.length >= 2 ? await comparisonSection(singles) : "";
  const sections: string[] = [];
  for (const e of all) {
    sections.push(
      isTenFold(e) ? await tenFoldSection(e, options) : await experimentSection(e, options),
    );
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><p class="note">Generated ${
    esc(new Date().toISOString())
  } by <code>deno task report</code>.
Charts are vega-lite specifications (embedded beside each chart), pre-rendered to SVG.</p>
<h2>Results</h2>${resultsTable(all)}
${comparison}
<div class="experiments">${sections.join("\n")}</div>
<p class="note">LFW: Huang et al., "Labeled Faces in the Wild", UMass Amherst TR 07-49, 2007.</p>
</body></html>
`;
}
