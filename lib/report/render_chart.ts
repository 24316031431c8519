/**
 * Rendering vega-lite specifications to SVG on the server, so the report needs no JavaScript
 * and no network to show its charts.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";

/** A vega-lite specification (JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * The log of vega-lite's compiler and of Vega's views: errors only. Their warnings (such as two
 * layers of a chart setting one legend property differently, which they resolve themselves)
 * are about drawing details, and printed "WARN" lines in the terminal on every report run;
 * errors are still printed, and a specification that cannot be compiled still throws.
 */
const ERRORS_ONLY = vega.logger(vega.Error);

/** Compiles a vega-lite spec and renders it to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: ERRORS_ONLY }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
