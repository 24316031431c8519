/**
 * The model of a composed descriptor pipeline (`pipeline_spec.ts`): the text parsed, written out
 * with every option as the model's name, and built by the module of its descriptor's family,
 * whose code (with the spec's parser) is the model's code in the stages' keys.
 *
 * @example
 * ```ts
 * const model = pipelineModel(parsePipelineSpec("frame=head_and_face/crop=face100/fisher:gaussians=256/jb"));
 * model.name; // "frame=48_50_202_204/crop=75_84_175_184/fisher:size=100,...,gaussians=256/pca=400/lda=100/jb"
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { fisherPipelineModel } from "./fisher_model.ts";
import { gaborPipelineModel } from "./gabor_model.ts";
import { lbpPipelineModel } from "./lbp_model.ts";
import { formatPipelineSpec, type PipelineSpec } from "./pipeline_spec.ts";
import type { SiameseModel } from "./siamese_model.ts";

/**
 * The model of pipeline `spec` (`parsePipelineSpec`), named by its written-out steps. Its
 * parameters' names start with `p` and 10 hex digits of that name's hash: two pipelines fused in
 * an ensemble never share a name, and one pipeline always has the same.
 */
export function pipelineModel(spec: PipelineSpec): SiameseModel {
  const name = formatPipelineSpec(spec);
  const params = `p${createHash("sha256").update(name).digest("hex").slice(0, 10)}`;
  switch (spec.descriptor.kind) {
    case "fisher":
      return fisherPipelineModel(spec, params);
    case "lbp":
      return lbpPipelineModel(spec, params);
    case "gabor":
      return gaborPipelineModel(spec, params);
  }
}
