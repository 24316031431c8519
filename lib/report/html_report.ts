/**
 * The report: one self-contained HTML page (inline CSS, charts pre-rendered to SVG, galleries as
 * data URIs, no script and no network) for one or several experiments side by side. Each chart's
 * vega-lite specification is embedded beside it as JSON.
 * @module
 */
import type { StoredResult } from "../pipeline/result_record.ts";
import { RESULT_COLUMNS, resultCells, sortResults } from "../pipeline/results_table.ts";
import { encodeBase64 } from "./base64.ts";
import {
  comparisonChart,
  experimentColours,
  historyChart,
  isFitted,
  type ObjectiveKind,
  rocChart,
  type RocMarker,
  type RocSeries,
  skewChart,
} from "./charts.ts";
import { differingParams, flattenOptions } from "../pipeline/experiment_summary.ts";
import type { ExperimentData, TenFoldData } from "./experiment_data.ts";
import type { PublishedRoc } from "./published_roc.ts";
import { getModel } from "../model/registry.ts";
import type { BackendInfo } from "../backend/select_backend.ts";
import { renderSvg, type VegaLiteSpec } from "./render_chart.ts";
import type { SetMetrics } from "../pipeline/test_stage.ts";
import { REPORT_GENERATOR } from "../pipeline/output_guard.ts";

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
  /** The result records committed in results/, shown as the published results table. */
  publishedResults?: readonly StoredResult[];
}

/**
 * The committed result records as the README shows them (the same columns and order), each row
 * naming the record file it comes from.
 */
function publishedResultsSection(results: readonly StoredResult[]): string {
  if (results.length === 0) return "";
  const rows = sortResults(results).map(({ path, record }) =>
    `<tr>${resultCells(record).map((cell) => `<td>${esc(cell)}</td>`).join("")}<td><code>results/${
      esc(path.split("/").pop())
    }</code></td></tr>`
  );
  return `<h2>Published results</h2><p class="note">From the result records committed in <code>results/</code> (the README's table); "design chosen on" says what data chose each design.</p>
<table><tr>${[...RESULT_COLUMNS, "record"].map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${
    rows.join("")
  }</table>`;
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

/** The objective kind an experiment was trained with: the recorded one, else its model's. */
function objectiveOf(e: ExperimentData | TenFoldData): ObjectiveKind | undefined {
  const train = e.record.options.train as
    | { model?: string; objective?: { kind?: string } }
    | undefined;
  return train?.objective?.kind ?? knownModel(train?.model)?.objective.kind;
}

/** The model named `name` (registered or composed), or undefined for a name no longer known. */
function knownModel(name: string | undefined) {
  try {
    return getModel(name ?? "");
  } catch {
    return undefined;
  }
}

/**
 * What a fitted model (no gradient steps) has instead of a training history: the steps of its
 * fit, as its model defines them, and the validation figures the fit recorded.
 */
function fitSection(e: ExperimentData, kind: ObjectiveKind): string {
  const train = e.record.options.train as
    | { model?: string; members?: string[]; objective?: { components?: number } }
    | undefined;
  const info = (e.train?.manifest.info ?? {}) as {
    classes?: number;
    trainingExamples?: number;
    trainingSeconds?: number;
  };
  const model = knownModel(train?.model);
  const count = (n: number | undefined, what: string) => n === undefined ? what : `${n} ${what}`;
  const steps: string[] = [];
  if (kind === "lda") {
    if (model?.fitted?.encoder) {
      steps.push("the descriptor's own encoder fitted on a sample of the training faces");
    }
    steps.push(
      `descriptors of ${count(info.trainingExamples, "training images")} (${
        count(info.classes, "people")
      })`,
      model?.objective.kind === "lda" && model.objective.pcaOnly
        ? `PCA to ${model.embeddingSize} whitened components (no LDA)`
        : `PCA to ${train?.objective?.components ?? "?"} whitened components, then LDA to ${
          model?.embeddingSize ?? "?"
        } dimensions`,
      model?.fitted?.jointBayesian?.pairMetric
        ? `a joint metric and similarity of rank ${model.fitted.jointBayesian.pairMetric.rank} learnt on pairs of the training people (it scores pairs)`
        : model?.fitted?.jointBayesian
        ? `a Joint Bayesian head fitted on the training people's projections${
          model.fitted.jointBayesian.em
            ? `, its covariances refined by ${model.fitted.jointBayesian.em} EM iterations`
            : ""
        } (it scores pairs)`
        : "pairs scored by the cosine of their projections",
    );
  } else {
    steps.push(
      `the trained members' unit embeddings${
        train?.members?.length ? ` (${train.members.join(", ")})` : ""
      }, concatenated`,
      "the members' weights chosen on the validation pairs",
    );
  }
  steps.push("the validation pairs scored, the threshold chosen on them");
  const fit = e.history[0];
  const figure = (label: string, value: string) =>
    `<tr><th>${esc(label)}</th><td>${value}</td></tr>`;
  const rows = fit
    ? [
      figure("validation pairs", String(e.stats.sets.val?.pairs ?? "–")),
      figure("validation accuracy", pct(fit.valAccuracy)),
      figure("validation AUC", fit.valAuc?.toFixed(4) ?? "–"),
      figure("validation loss", Number.isFinite(fit.valLoss) ? fit.valLoss.toFixed(4) : "–"),
      figure("fitting time", `${((info.trainingSeconds ?? fit.seconds) / 60).toFixed(1)} min`),
    ]
    : [];
  return `<p class="note">A fitted model: no gradient steps and no epochs, so no training curve. Its fit, in order:</p>` +
    `<ol class="plain">${steps.map((x) => `<li>${esc(x)}</li>`).join("")}</ol>` +
    (rows.length
      ? `<table class="metrics fit"><tbody>${rows.join("")}</tbody></table>` +
        `<p class="note">Validation accuracy at the threshold chosen on the validation pairs.</p>`
      : `<p class="note">Not fitted yet.</p>`);
}

function facts(e: ExperimentData): string {
  const info = (e.train?.manifest.info ?? {}) as Record<string, unknown>;
  const backend = info.backend as { name?: string; provider?: string } | undefined;
  const rows: [string, unknown][] = [
    ["status", e.statusText],
    ["model", (e.record.options.train as { model?: string })?.model],
    ["epochs done", isFitted(objectiveOf(e)) ? "none (fitted)" : e.history.length],
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
  const objective = objectiveOf(e);
  if (isFitted(objective)) {
    parts.push("<h3>Fit</h3>", fitSection(e, objective!));
  } else {
    parts.push("<h3>Training history</h3>");
    parts.push(
      e.history.length
        ? await chart(
          historyChart(e.history, `${name}: loss and accuracy per epoch`, { objective }),
        )
        : `<p class="note">No epoch finished yet.</p>`,
    );
  }
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
      await chart(
        rocChart(series, `${name}: ROC, low false-accept rates`, { markers, logFar: true }),
      ),
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

/** An experiment's split protocol ("seed" when none is recorded, as older records have). */
function protocolOf(e: ExperimentData): string {
  return (e.record.options.split as { protocol?: string } | undefined)?.protocol ?? "seed";
}

/** Protocols as the comparison names them. */
const PROTOCOL_NAMES: Record<string, string> = {
  seed: "seed protocol",
  "lfw-view1": "LFW View 1",
  "lfw-view2": "LFW View 2",
};
const protocolName = (protocol: string) => PROTOCOL_NAMES[protocol] ?? protocol;

/** Options as the comparison table names them (others: their words, see `optionLabel`). */
const OPTION_LABELS: Record<string, string> = {
  "split.protocol": "protocol",
  "train.model": "model",
  "train.objective.kind": "objective",
  "train.adam.learningRate": "learning rate",
  "prepare.box": "crop box",
  "prepare.size": "face size",
  "prepare.grey": "grey faces",
  images: "image folder",
  compute: "backend, kernels",
};

/**
 * A readable name for a flattened option ("train.augment.rotationDegrees" reads "augment
 * rotation degrees"): the stage's name dropped, camel case split into words.
 */
export function optionLabel(key: string): string {
  if (OPTION_LABELS[key]) return OPTION_LABELS[key];
  const parts = key.split(".");
  if (parts.length > 1 && ["prepare", "split", "train"].includes(parts[0])) parts.shift();
  return parts.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase()).join(" ");
}

/** An option's value as text: strings bare, lists joined, booleans yes/no, unset "–". */
export function optionValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return key === "split.protocol" ? "seed" : "–";
  if (Array.isArray(value)) return value.map((v) => optionValue("", v)).join(", ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Several single experiments side by side: a table of their statuses, the options that differ
 * and their figures (one column per experiment), their training curves overlaid, and ROC
 * charts that compare like with like: one per protocol and set of pairs (the test pairs; the
 * validation pairs too where an experiment of the protocol is untested), each curve labelled
 * with its set and protocol. One colour per experiment in every chart of this section.
 */
async function comparisonSection(runs: ExperimentData[]): Promise<string> {
  const names = runs.map((e) => e.record.name);
  const colours = experimentColours(names);
  const flat = runs.map((e) => flattenOptions(e.record.options));
  // The protocol has a row of its own, always.
  const keys = differingParams(flat.map((params) => ({ params })))
    .filter((k) => k !== "split.protocol");
  const metric = (e: ExperimentData, set: string) => {
    const m = e.metrics?.sets[set];
    return m ? `${pct(m.atThreshold.accuracy)} (${m.auc.toFixed(3)})` : "–";
  };
  const swatch = (i: number) =>
    `<span class="swatch" style="background:${colours.range[i]}"></span>`;
  const row = (label: string, cells: string[], title?: string) =>
    `<tr><th${title ? ` title="${esc(title)}"` : ""}>${esc(label)}</th>${
      cells.map((c) => `<td>${c}</td>`).join("")
    }</tr>`;
  const table = `<div class="scroll"><table class="metrics comparison"><thead><tr><th></th>${
    runs.map((e, i) => `<th>${swatch(i)}${esc(e.record.name)}</th>`).join("")
  }</tr></thead><tbody>${
    [
      row("status", runs.map((e) => esc(e.statusText))),
      row("protocol", runs.map((e) => esc(protocolName(protocolOf(e))))),
      ...keys.map((k) => row(optionLabel(k), flat.map((f) => esc(optionValue(k, f[k]))), k)),
      row("validation accuracy (AUC)", runs.map((e) => metric(e, "val"))),
      row("test accuracy (AUC)", runs.map((e) => metric(e, "test"))),
    ].join("")
  }</tbody></table></div><p class="note">Rows between "protocol" and the figures: the options that differ between these experiments (hover a name for the option's key). Accuracy at each experiment's validation-chosen threshold; validation and test figures are never mixed in one row, and figures of different protocols are of different pairs.</p>`;
  const parts = [`<section class="comparison"><h2>Comparison</h2>`, table];
  const histories = runs.map((e) => ({
    name: e.record.name,
    history: e.history,
    objective: objectiveOf(e),
  }));
  const trained = histories.filter((h) => !isFitted(h.objective) && h.history.length > 0);
  if (trained.length > 0) {
    parts.push(
      await chart(
        comparisonChart(histories, "Training curves, one colour per experiment", colours),
      ),
    );
    if (trained.length < histories.length) {
      parts.push(
        `<p class="note">Not drawn (no epochs): ${
          esc(histories.filter((h) => !trained.includes(h)).map((h) => h.name).join(", "))
        }.</p>`,
      );
    }
  }
  for (const group of comparableRocs(runs)) {
    const series: RocSeries[] = group.runs.map((e) => ({
      label: `${e.record.name}: ${SET_NAMES[group.set] ?? group.set}, ${
        protocolName(group.protocol)
      } (AUC ${e.metrics?.sets[group.set]?.auc.toFixed(3) ?? "?"})`,
      source: "ours",
      points: thin(e.roc![group.set].map(([f, t]) => [f, t] as [number, number]), 400),
    }));
    const rocColours = {
      domain: series.map((s) => s.label),
      range: group.runs.map((e) => colours.range[names.indexOf(e.record.name)]),
    };
    const markers = group.runs.flatMap((e, i) =>
      thresholdMarkers({ ...e, roc: { [group.set]: e.roc![group.set] } }, () => series[i].label)
    );
    parts.push(
      await chart(
        rocChart(
          series,
          `ROC on the ${SET_NAMES[group.set] ?? group.set} pairs, ${protocolName(group.protocol)}`,
          { markers, colours: rocColours },
        ),
      ),
    );
  }
  parts.push("</section>");
  return parts.join("\n");
}

/**
 * The comparison's ROC charts: per protocol (in the order of the experiments), the test pairs'
 * curves, and the validation pairs' where an experiment of that protocol has no test curve.
 * No chart holds two sets or two protocols.
 */
function comparableRocs(
  runs: readonly ExperimentData[],
): { protocol: string; set: string; runs: ExperimentData[] }[] {
  const protocols = [...new Set(runs.map(protocolOf))];
  return protocols.flatMap((protocol) => {
    const members = runs.filter((e) => protocolOf(e) === protocol);
    const tested = members.filter((e) => e.roc?.test);
    const validated = members.filter((e) => e.roc?.val);
    return [
      ...(tested.length ? [{ protocol, set: "test", runs: tested }] : []),
      ...(tested.length < members.length && validated.length
        ? [{ protocol, set: "val", runs: validated }]
        : []),
    ];
  });
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
    const objective = objectiveOf(firstFold);
    parts.push(
      ...(isFitted(objective) ? ["<h3>Fit (fold 1)</h3>", fitSection(firstFold, objective!)] : [
        "<h3>Training history (fold 1)</h3>",
        await chart(
          historyChart(
            firstFold.history,
            `${firstFold.record.name}: loss and accuracy per epoch`,
            { objective },
          ),
        ),
      ]),
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
  const objective = objectiveOf(e) ?? "?";
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
    epochs = isFitted(objective)
      ? (x.history.length ? "fitted" : "not fitted yet")
      : `${x.history.length} of ${options.train?.epochs ?? "?"}${
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
table.comparison td{overflow-wrap:anywhere;max-width:24em}
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
<meta name="generator" content="${REPORT_GENERATOR}">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><p class="note">Generated ${
    esc(new Date().toISOString())
  } by <code>deno task report</code>.
Charts are vega-lite specifications (embedded beside each chart), pre-rendered to SVG.</p>
${publishedResultsSection(options.publishedResults ?? [])}
<h2>Results</h2>${resultsTable(all)}
${comparison}
<div class="experiments">${sections.join("\n")}</div>
<p class="note">LFW: Huang et al., "Labeled Faces in the Wild", UMass Amherst TR 07-49, 2007.</p>
</body></html>
`;
}
