/**
 * Rendering vega-lite specifications to SVG on the server, so the report needs no JavaScript
 * and no network to show its charts.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";

/** A vega-lite specification (JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** Compiles a vega-lite spec and renders it to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
