/**
 * The report's charts as vega-lite specifications: training history, dataset skew and ROC.
 * @module
 */
import type { SplitStats } from "../data/skew_stats.ts";
import type { EpochRecord } from "../train/history.ts";
import type { VegaLiteSpec } from "./render_chart.ts";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Training red, validation blue, as the original project's plot. */
const SET_COLOURS = { domain: ["training", "validation"], range: ["#d62728", "#1f77b4"] };

/** Trailing moving average over at most `window` values. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/**
 * Loss and accuracy per epoch, training red and validation blue: raw values light, the
 * 20-epoch moving average solid.
 */
export function historyChart(history: readonly EpochRecord[], title: string): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  const series: [string, string, keyof EpochRecord][] = [
    ["loss", "training", "trainLoss"],
    ["loss", "validation", "valLoss"],
    ["accuracy", "training", "trainAccuracy"],
    ["accuracy", "validation", "valAccuracy"],
  ];
  for (const [metric, set, field] of series) {
    const raw = history.map((h) => h[field] as number);
    const average = movingAverage(raw, 20);
    history.forEach((h, i) => {
      rows.push({ epoch: h.epoch, metric, set, kind: "raw", value: raw[i] });
      rows.push({ epoch: h.epoch, metric, set, kind: "average", value: average[i] });
    });
  }
  const encoding = {
    x: { field: "epoch", type: "quantitative", axis: { tickMinStep: 1 } },
    y: { field: "value", type: "quantitative", scale: { zero: false }, title: null },
    color: { field: "set", type: "nominal", scale: SET_COLOURS, title: null },
  };
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    facet: {
      column: { field: "metric", type: "nominal", title: null, sort: ["loss", "accuracy"] },
    },
    spec: {
      width: 300,
      height: 180,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'raw'" }],
          mark: { type: "line", opacity: 0.3, point: history.length < 30 },
          encoding,
        },
        {
          transform: [{ filter: "datum.kind === 'average'" }],
          mark: { type: "line", strokeWidth: 2 },
          encoding,
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
}

/** People per image-count bucket: over the whole data set, and within each set of pairs. */
export function skewChart(stats: SplitStats, title: string): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  const buckets = Object.keys(stats.dataset.peoplePerBucket);
  for (const [bucket, people] of Object.entries(stats.dataset.peoplePerBucket)) {
    rows.push({ bucket, group: "whole data set", people });
  }
  const names: Record<string, string> = {
    train: "training pairs",
    val: "validation pairs",
    test: "test pairs",
  };
  for (const [set, s] of Object.entries(stats.sets)) {
    if (s.pairs === 0) continue;
    for (const [bucket, people] of Object.entries(s.peoplePerBucket)) {
      rows.push({ bucket, group: names[set] ?? set, people });
    }
  }
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    width: 520,
    height: 200,
    mark: "bar",
    encoding: {
      x: { field: "bucket", type: "ordinal", sort: buckets, title: "images per person" },
      xOffset: { field: "group", type: "nominal" },
      y: { field: "people", type: "quantitative", scale: { type: "symlog" }, title: "people" },
      color: { field: "group", type: "nominal", title: null },
      tooltip: [{ field: "group" }, { field: "bucket" }, { field: "people" }],
    },
  };
}

/** One curve for the ROC chart. */
export interface RocSeries {
  label: string;
  /** "ours" curves are drawn bold, "published" ones thin. */
  source: "ours" | "published";
  points: readonly (readonly [number, number])[];
}

/** ROC curves: true-accept rate against false-accept rate. */
export function rocChart(series: readonly RocSeries[], title: string): VegaLiteSpec {
  const rows = series.flatMap((s) =>
    s.points.map(([fpr, tpr], i) => ({ curve: s.label, source: s.source, fpr, tpr, i }))
  );
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    width: 420,
    height: 360,
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: {
        field: "fpr",
        type: "quantitative",
        title: "false-accept rate",
        scale: { domain: [0, 1] },
      },
      y: {
        field: "tpr",
        type: "quantitative",
        title: "true-accept rate",
        scale: { domain: [0, 1] },
      },
      order: { field: "i" },
      color: {
        legend: { labelLimit: 320 },
        field: "curve",
        type: "nominal",
        title: null,
        scale: { scheme: "tableau20" },
        sort: series.map((s) => s.label),
      },
      strokeWidth: {
        field: "source",
        type: "ordinal",
        sort: ["ours", "published"],
        scale: { domain: ["ours", "published"], range: [2.5, 1] },
        legend: null,
      },
    },
  };
}
