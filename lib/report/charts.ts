/**
 * The report's charts as vega-lite specifications: training history, dataset skew and ROC.
 * @module
 */
import type { SplitStats } from "../data/skew_stats.ts";
import type { EpochRecord } from "../train/history.ts";
import type { VegaLiteSpec } from "./render_chart.ts";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Epochs are whole numbers: no 2.5 tick. */
const EPOCH_AXIS = { tickMinStep: 1, format: "d" };
/**
 * One colour per experiment, the same on every chart of a page (Tableau 10, as TensorBoard-like
 * tools use): the i-th experiment listed gets the i-th colour.
 */
export const EXPERIMENT_PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** The colour scale of a page's experiments, in the order they are listed. */
export function experimentColours(names: readonly string[]): { domain: string[]; range: string[] } {
  return {
    domain: [...names],
    range: names.map((_, i) => EXPERIMENT_PALETTE[i % EXPERIMENT_PALETTE.length]),
  };
}
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

/** The history chart's two line kinds, as its legend names them. */
const RAW = "per epoch", AVERAGE = "moving average (20 epochs)";

/** An objective's kind: "pair", "cosface" (identities), "lda" or "ensemble" (fitted). */
export type ObjectiveKind = string;

/** Whether models of this objective kind are fitted in one pass (no epochs, no training loss). */
export function isFitted(kind: ObjectiveKind | undefined): boolean {
  return kind === "lda" || kind === "ensemble";
}

/** The name of an identity objective in chart titles ("cosface" reads CosFace). */
function objectiveName(kind: ObjectiveKind): string {
  return kind === "cosface" ? "CosFace" : kind;
}

/**
 * The panels of a history chart: [panel name, set, field]. A pair model's training and
 * validation figures are the same quantities (the pair loss, pair accuracy) and share a panel;
 * an identity model (any objective other than `pair`) trains on identities, so its training
 * loss and identity accuracy each get a panel of their own, apart from the validation pairs'.
 */
export function historyPanels(kind: ObjectiveKind = "pair"): [string, string, keyof EpochRecord][] {
  if (kind === "pair") {
    return [
      ["loss", "training", "trainLoss"],
      ["loss", "validation", "valLoss"],
      ["accuracy", "training", "trainAccuracy"],
      ["accuracy", "validation", "valAccuracy"],
    ];
  }
  const name = objectiveName(kind);
  return [
    [`training loss (identities, ${name})`, "training", "trainLoss"],
    ["training accuracy (identities)", "training", "trainAccuracy"],
    ["validation loss (pairs)", "validation", "valLoss"],
    ["validation accuracy (pairs)", "validation", "valAccuracy"],
  ];
}

/**
 * Loss and accuracy per epoch, training red and validation blue: raw values light, the
 * 20-epoch moving average solid (the legend says which is which). `objective` (the model's
 * objective kind, default "pair") decides which figures share a panel: see
 * {@linkcode historyPanels}. Each panel has its own y scale.
 */
export function historyChart(
  history: readonly EpochRecord[],
  title: string,
  options: { objective?: ObjectiveKind } = {},
): VegaLiteSpec {
  const panels = historyPanels(options.objective);
  const rows: Record<string, unknown>[] = [];
  for (const [metric, set, field] of panels) {
    const raw = history.map((h) => h[field] as number);
    const average = movingAverage(raw, 20);
    history.forEach((h, i) => {
      rows.push({ epoch: h.epoch, metric, set, kind: RAW, value: raw[i] });
      rows.push({ epoch: h.epoch, metric, set, kind: AVERAGE, value: average[i] });
    });
  }
  const encoding = {
    x: { field: "epoch", type: "quantitative", axis: EPOCH_AXIS },
    y: { field: "value", type: "quantitative", scale: { zero: false }, title: null },
    color: { field: "set", type: "nominal", scale: SET_COLOURS, title: null },
    opacity: {
      field: "kind",
      type: "nominal",
      scale: { domain: [RAW, AVERAGE], range: [0.3, 1] },
      title: null,
    },
  };
  const names = [...new Set(panels.map(([metric]) => metric))];
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    facet: { field: "metric", type: "nominal", title: null, sort: names },
    columns: 2,
    spec: {
      width: 300,
      height: 180,
      layer: [
        {
          transform: [{ filter: `datum.kind === '${RAW}'` }],
          mark: { type: "line", point: history.length < 30 },
          encoding,
        },
        {
          transform: [{ filter: `datum.kind === '${AVERAGE}'` }],
          mark: { type: "line", strokeWidth: 2 },
          encoding,
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
}

/**
 * The skew chart's groups in order, each with a fixed colour (the history chart's training red
 * and validation blue, test green, the whole data set grey), so that a group has the same colour
 * in every experiment whichever groups it has.
 */
export const SKEW_GROUPS: readonly { set: string; group: string; colour: string }[] = [
  { set: "dataset", group: "whole data set", colour: "#7f7f7f" },
  { set: "train", group: "training pairs", colour: SET_COLOURS.range[0] },
  { set: "val", group: "validation pairs", colour: SET_COLOURS.range[1] },
  { set: "test", group: "test pairs", colour: "#2ca02c" },
];

/** People per image-count bucket: over the whole data set, and within each set of pairs. */
export function skewChart(stats: SplitStats, title: string): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  const buckets = Object.keys(stats.dataset.peoplePerBucket);
  const groupOf = (set: string) => SKEW_GROUPS.find((g) => g.set === set)?.group ?? set;
  for (const [bucket, people] of Object.entries(stats.dataset.peoplePerBucket)) {
    rows.push({ bucket, group: groupOf("dataset"), people });
  }
  for (const [set, s] of Object.entries(stats.sets)) {
    if (s.pairs === 0) continue;
    for (const [bucket, people] of Object.entries(s.peoplePerBucket)) {
      rows.push({ bucket, group: groupOf(set), people });
    }
  }
  const shown = rows.filter((r) => (r.people as number) > 0);
  // The groups present, in the fixed order (a set this table does not know goes last, grey).
  const present = new Set(shown.map((r) => r.group as string));
  const groups = [
    ...SKEW_GROUPS.filter((g) => present.has(g.group)),
    ...[...present].filter((g) => !SKEW_GROUPS.some((k) => k.group === g))
      .map((group) => ({ set: group, group, colour: "#bab0ac" })),
  ];
  // Counts span 1 to thousands: a log axis with ticks at powers of ten, and each bar labelled
  // with its count, so small buckets stay readable. Bars rise from the axis's floor (half a
  // person): from 0, which a log scale cannot place, they would have no height.
  const floor = 0.5;
  const max = Math.max(1, ...rows.map((r) => r.people as number));
  const ticks = Array.from({ length: Math.ceil(Math.log10(max)) + 1 }, (_, i) => 10 ** i);
  const encoding = {
    x: { field: "bucket", type: "ordinal", sort: buckets, title: "images per person" },
    xOffset: { field: "group", type: "nominal", sort: groups.map((g) => g.group) },
    y: {
      field: "people",
      type: "quantitative",
      scale: { type: "log", domain: [floor, ticks[ticks.length - 1] * 1.5] },
      axis: { values: ticks, format: "~s" },
      title: "people (log scale)",
    },
    color: {
      field: "group",
      type: "nominal",
      title: null,
      scale: { domain: groups.map((g) => g.group), range: groups.map((g) => g.colour) },
    },
    tooltip: [{ field: "group" }, { field: "bucket" }, { field: "people" }],
  };
  return {
    $schema: SCHEMA,
    title,
    data: { values: shown },
    width: 560,
    height: 220,
    layer: [
      { mark: "bar", encoding: { ...encoding, y2: { datum: floor } } },
      {
        mark: { type: "text", dy: -4, fontSize: 8, baseline: "bottom" },
        encoding: { ...encoding, text: { field: "people", type: "quantitative" } },
      },
    ],
  };
}

/** One curve for the ROC chart. */
export interface RocSeries {
  label: string;
  /** "ours" curves are drawn bold, "published" ones thin. */
  source: "ours" | "published";
  points: readonly (readonly [number, number])[];
}

/** A marked operating point on a ROC chart (the chosen threshold of a curve). */
export interface RocMarker {
  label: string;
  fpr: number;
  tpr: number;
}

/** Steps per power of ten of the chance curve on a log false-accept axis. */
const CHANCE_STEPS_PER_DECADE = 30;

/**
 * The chance line y = x: its two ends on a linear axis; from `logFloor` to 1 on a log axis, as
 * points evenly spaced in log(fpr) (straight segments between them stay within 0.1% of y = x).
 */
export function chanceLine(logFloor?: number): { fpr: number; tpr: number }[] {
  if (logFloor === undefined) return [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }];
  const steps = Math.ceil(-Math.log10(logFloor) * CHANCE_STEPS_PER_DECADE);
  return Array.from({ length: steps + 1 }, (_, i) => {
    // Rounded so that the powers of ten are exact (10 ** -1 is 0.1, not 0.10000000000000002).
    const fpr = i === steps
      ? 1
      : Number((logFloor * 10 ** (i / CHANCE_STEPS_PER_DECADE)).toPrecision(12));
    return { fpr, tpr: fpr };
  });
}

/**
 * ROC curves: true-accept rate against false-accept rate, with the chance diagonal and the
 * chosen thresholds marked. `logFar` draws the false-accept axis on a log scale from 0.1%, where
 * verification systems are compared. `colours` fixes each curve's colour (a page's experiment
 * colours); without it a scheme is used.
 */
export function rocChart(
  series: readonly RocSeries[],
  title: string,
  options: {
    markers?: readonly RocMarker[];
    logFar?: boolean;
    colours?: { domain: string[]; range: string[] };
  } = {},
): VegaLiteSpec {
  const floor = 1e-3;
  const rows = series.flatMap((s) =>
    s.points
      .filter(([fpr]) => !options.logFar || fpr >= floor)
      .map(([fpr, tpr], i) => ({ curve: s.label, source: s.source, fpr, tpr, i }))
  );
  const x = {
    field: "fpr",
    type: "quantitative",
    title: options.logFar ? "false-accept rate (log scale)" : "false-accept rate",
    scale: options.logFar ? { type: "log", domain: [floor, 1] } : { domain: [0, 1] },
    ...(options.logFar ? { axis: { values: [0.001, 0.01, 0.1, 1], format: "~%" } } : {}),
  };
  const y = {
    field: "tpr",
    type: "quantitative",
    title: "true-accept rate",
    scale: { domain: [0, 1] },
  };
  const colour = {
    // Without a canvas, vega estimates text widths generously: room for "NAME: set (AUC 0.9780)".
    legend: { labelLimit: 520 },
    field: "curve",
    type: "nominal",
    title: null,
    scale: options.colours ?? { scheme: "tableau20" },
    sort: series.map((s) => s.label),
  };
  const layers: Record<string, unknown>[] = [
    {
      // Chance: a model that guesses accepts as many different pairs as same ones (y = x). On
      // the log axis that is a curve, drawn through points spaced evenly on the axis (each
      // power of ten included); a straight line from corner to corner there would read 0.67 at
      // 10% false accepts instead of 0.10.
      data: { values: chanceLine(options.logFar ? floor : undefined) },
      mark: { type: "line", strokeDash: [4, 4], color: "#999", strokeWidth: 1 },
      encoding: { x, y },
    },
    {
      data: { values: rows },
      mark: { type: "line", interpolate: "step-after" },
      encoding: {
        x,
        y,
        order: { field: "i" },
        color: colour,
        strokeWidth: {
          field: "source",
          type: "ordinal",
          sort: ["ours", "published"],
          scale: { domain: ["ours", "published"], range: [2.5, 1] },
          legend: null,
        },
      },
    },
  ];
  const markers = (options.markers ?? []).filter((m) => !options.logFar || m.fpr >= floor);
  if (markers.length > 0) {
    layers.push({
      data: { values: markers.map((m) => ({ ...m, curve: m.label, kind: "chosen threshold" })) },
      mark: {
        type: "point",
        shape: "diamond",
        size: 90,
        filled: true,
        stroke: "#000",
        strokeWidth: 1,
      },
      encoding: {
        x,
        y,
        color: { ...colour, legend: null },
        tooltip: [{ field: "label" }, { field: "fpr", format: ".3f" }, {
          field: "tpr",
          format: ".3f",
        }],
      },
    });
  }
  return { $schema: SCHEMA, title, width: 420, height: 360, layer: layers };
}

/** A metric per epoch of several experiments, for {@linkcode comparisonChart}. */
export interface ExperimentHistory {
  name: string;
  history: readonly EpochRecord[];
  /** The model's objective kind (default "pair"): training losses of two kinds are not compared. */
  objective?: ObjectiveKind;
}

/**
 * The experiments' curves overlaid, one panel per quantity (validation accuracy, AUC and loss,
 * all on pairs; the training loss in one panel per objective, since a pair loss and an identity
 * loss are different quantities), one colour per experiment (`colours`, the page's). Fitted
 * experiments have no epochs and are left out.
 */
export function comparisonChart(
  runs: readonly ExperimentHistory[],
  title: string,
  colours: { domain: string[]; range: string[] },
): VegaLiteSpec {
  const trained = runs.filter((r) => !isFitted(r.objective) && r.history.length > 0);
  const trainingLoss = (kind: ObjectiveKind) =>
    kind === "pair"
      ? "training loss (pairs)"
      : `training loss (identities, ${objectiveName(kind)})`;
  const metrics: [string, keyof EpochRecord][] = [
    ["validation accuracy", "valAccuracy"],
    ["validation AUC", "valAuc"],
    ["validation loss (pairs)", "valLoss"],
  ];
  const kinds = [...new Set(trained.map((r) => r.objective ?? "pair"))];
  const rows = trained.flatMap((r) =>
    [...metrics, [trainingLoss(r.objective ?? "pair"), "trainLoss"] as [string, keyof EpochRecord]]
      .flatMap(([metric, field]) =>
        r.history.map((h) => ({ experiment: r.name, metric, epoch: h.epoch, value: h[field] }))
      )
  );
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    facet: {
      field: "metric",
      type: "nominal",
      title: null,
      sort: [...metrics.map(([m]) => m), ...kinds.map(trainingLoss)],
    },
    columns: 2,
    spec: {
      width: 300,
      height: 170,
      mark: { type: "line", point: trained.every((r) => r.history.length < 30) },
      encoding: {
        x: { field: "epoch", type: "quantitative", axis: EPOCH_AXIS },
        y: { field: "value", type: "quantitative", scale: { zero: false }, title: null },
        color: { field: "experiment", type: "nominal", scale: colours, title: null },
      },
    },
    resolve: { scale: { y: "independent" } },
  };
}
