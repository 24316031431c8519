/**
 * A descriptor pipeline composed by name, like a scikit-learn `Pipeline` written on one line:
 * its steps, in the order they run, separated by `/`, each a name with its options
 * (`name=value`, or `name:option=value,option=value`). `train --model` takes one wherever it
 * takes a model's name, and the experiment records it with every option written out
 * ({@linkcode formatPipelineSpec}), so that the record alone rebuilds the model.
 *
 * | step | options (default) | what it does |
 * | --- | --- | --- |
 * | `frame=B` | a box of LFW's 250x250 frame (the crop's box) | the faces are prepared 1:1 from box `B` |
 * | `crop=B` | a box inside the frame, centred across like it (the descriptor's usual box) | the descriptor reads box `B` of those faces |
 * | `fisher` | `size` (100), `cell` (5), `step` (2), `scales` (1_0.75_0.56), `gaussians` (512) | Fisher vectors of dense root-SIFT on `size` x `size` faces |
 * | `lbp` | `scales` (1_2) | uniform LBP histograms on 64x64 faces at each scale |
 * | `gabor` | none | Gabor magnitudes on 64x64 faces |
 * | `mirror` | none | PCA, LDA and the head are fitted on mirror-averaged descriptors |
 * | `pca=N` | 400 | a whitened PCA to N components |
 * | `lda=N` | 100 | LDA over the training people to N directions (0: none, the PCA's components are the embedding) |
 * | `jb`, `cosine` or `metric` | `jb` | the head: a Joint Bayesian ratio (`jb:em=N`: its covariances refined by N EM iterations; 0, the closed form, by default), the cosine, or a joint metric learnt on pairs, `metric:rank=R,steps=S` (rank 64 or the embedding's size if smaller, 4000 steps) |
 *
 * A box is a name (`head`, `face100`, `lfwcrop`, `head_and_face`) or four pixel numbers joined by
 * `_` (`62_52_188_202`); a list of scales is joined by `_` too. Exactly one descriptor step is
 * required; every other step may be left out.
 *
 * @example
 * ```ts
 * const spec = parsePipelineSpec("frame=head_and_face/crop=head/fisher:gaussians=256/jb");
 * formatPipelineSpec(spec);
 * // "frame=48_50_202_204/crop=62_52_188_202/fisher:size=100,cell=5,step=2,scales=1_0.75_0.56,gaussians=256/pca=400/lda=100/jb"
 * ```
 * @module
 */
import { FACE_BOXES, type FaceBox } from "../config/defaults.ts";
import { UserError } from "../util/errors.ts";
import { frameCropProblem, HEAD_AND_FACE_FRAME } from "./face_crop.ts";

/** The Fisher vector descriptor's options. */
export interface FisherStep {
  kind: "fisher";
  /** Side of the faces it reads. */
  size: number;
  /** SIFT cell side (pixels) and sampling step. */
  cell: number;
  step: number;
  /** The faces' scales the SIFT is computed at. */
  scales: number[];
  gaussians: number;
}

/** Uniform LBP histograms at each of `scales` (1: the 64x64 faces, 2: halved). */
export interface LbpStep {
  kind: "lbp";
  scales: number[];
}

/** Gabor magnitudes. */
export interface GaborStep {
  kind: "gabor";
}

/** A descriptor pipeline's steps, every option given. */
export interface PipelineSpec {
  /**
   * The box of LFW's frame the faces are prepared from 1:1, the descriptor reading `crop` of
   * them; without it the faces are prepared from `crop` directly.
   */
  frame?: Readonly<FaceBox>;
  /** The box the descriptor reads (inside `frame`). */
  crop: Readonly<FaceBox>;
  descriptor: FisherStep | LbpStep | GaborStep;
  mirror: boolean;
  pca: number;
  /** LDA directions; 0 for none. */
  lda: number;
  head: "jb" | "cosine" | "metric";
  /** The pair metric's rank and gradient steps (head `metric`). */
  metric?: { rank: number; steps: number };
  /** EM iterations refining Joint Bayesian's covariances (head `jb` only); absent: none. */
  em?: number;
}

/** Boxes by name: the preprocessing's, and the frame holding the head crop and the face box. */
export const PIPELINE_BOXES: Readonly<Record<string, Readonly<FaceBox>>> = {
  ...FACE_BOXES,
  head_and_face: HEAD_AND_FACE_FRAME,
};

/** The box each descriptor reads unless `crop` says otherwise. */
const DEFAULT_CROP: Record<PipelineSpec["descriptor"]["kind"], string> = {
  fisher: "head",
  lbp: "face100",
  gabor: "face100",
};

const DESCRIPTORS = ["fisher", "lbp", "gabor"] as const;
const HEADS = ["jb", "cosine", "metric"] as const;
/** A pipeline's step names, in the order its steps run. */
export const PIPELINE_STEPS: readonly string[] = [
  "frame",
  "crop",
  ...DESCRIPTORS,
  "mirror",
  "pca",
  "lda",
  ...HEADS,
];

/** Whether `name` is a composed pipeline rather than a registered model's name. */
export function isPipelineSpec(name: string): boolean {
  return /[/=:]/.test(name) || (DESCRIPTORS as readonly string[]).includes(name);
}

/**
 * The pipeline `text` describes, with its defaults filled in; a UserError naming the step or
 * option that is wrong.
 */
export function parsePipelineSpec(text: string): PipelineSpec {
  const fail = (what: string): never => {
    throw new UserError(
      `--model ${text}: ${what} (steps: ${PIPELINE_STEPS.join(", ")}; see docs/models.md)`,
    );
  };
  const steps = new Map<string, Map<string, string>>();
  let last = -1;
  for (const part of text.split("/")) {
    const m = /^([a-z0-9]+)(?:=([^:,]+)|:(.*))?$/.exec(part);
    if (!m) fail(`step "${part}" is not name, name=value or name:option=value,...`);
    const [, name, value, list] = m!;
    const at = PIPELINE_STEPS.indexOf(name);
    if (at < 0) fail(`unknown step "${name}"`);
    if (steps.has(name)) fail(`step "${name}" is given twice`);
    if (at < last) fail(`step "${name}" comes after "${PIPELINE_STEPS[last]}"`);
    last = at;
    const options = new Map<string, string>();
    if (value !== undefined) options.set("", value);
    for (const option of list ? list.split(",") : []) {
      const o = /^([a-z]+)=(.+)$/.exec(option);
      if (!o) fail(`option "${option}" of step "${name}" is not option=value`);
      if (options.has(o![1])) fail(`option "${o![1]}" of step "${name}" is given twice`);
      options.set(o![1], o![2]);
    }
    steps.set(name, options);
  }
  const described = DESCRIPTORS.filter((d) => steps.has(d));
  if (described.length !== 1) fail("give exactly one descriptor step (fisher, lbp or gabor)");
  if (HEADS.filter((h) => steps.has(h)).length > 1) fail("give one head, jb, cosine or metric");
  const kind = described[0];
  const reader = optionReader(steps, fail);
  const descriptor: PipelineSpec["descriptor"] = kind === "fisher"
    ? {
      kind,
      size: reader.integer("fisher", "size", 100, 16, 256),
      cell: reader.integer("fisher", "cell", 5, 1, 16),
      step: reader.integer("fisher", "step", 2, 1, 16),
      scales: reader.scales("fisher", [1, 0.75, 0.56]),
      gaussians: reader.integer("fisher", "gaussians", 512, 2, 2048),
    }
    : kind === "lbp"
    ? { kind, scales: reader.scales("lbp", [1, 2], [1, 2, 4]) }
    : { kind };
  reader.noOthers(
    kind,
    kind === "fisher"
      ? ["size", "cell", "step", "scales", "gaussians"]
      : kind === "lbp"
      ? ["scales"]
      : [],
  );
  const crop = reader.box("crop") ?? PIPELINE_BOXES[DEFAULT_CROP[kind]];
  const frame = reader.box("frame");
  const framing = frame && frameCropProblem(frame, crop);
  if (framing) fail(framing);
  if (descriptor.kind === "fisher") {
    const smallest = Math.round(descriptor.size * Math.min(...descriptor.scales));
    if (smallest < 4 * descriptor.cell) {
      fail(
        `fisher: the faces at scale ${Math.min(...descriptor.scales)} (${smallest} pixels) are ` +
          `smaller than a SIFT patch of 4 cells of ${descriptor.cell} pixels`,
      );
    }
  }
  for (const flag of ["mirror", "cosine"]) reader.noOthers(flag, []);
  reader.noOthers("jb", ["em"]);
  for (const valued of ["frame", "crop", "pca", "lda"]) reader.noOthers(valued, [""]);
  reader.noOthers("metric", ["rank", "steps"]);
  const pca = reader.integer("pca", "", 400, 2, 4096);
  const lda = reader.integer("lda", "", 100, 0, 4096);
  if (lda >= pca) fail(`lda=${lda} must be below pca=${pca}`);
  const head = HEADS.find((h) => steps.has(h)) ?? "jb";
  const embedding = lda || pca;
  const metric = head === "metric"
    ? {
      rank: reader.integer("metric", "rank", Math.min(64, embedding), 1, embedding),
      steps: reader.integer("metric", "steps", 4000, 1, 1_000_000),
    }
    : undefined;
  const em = reader.integer("jb", "em", 0, 0, 1000);
  return {
    ...(frame ? { frame } : {}),
    crop,
    descriptor,
    mirror: steps.has("mirror"),
    pca,
    lda,
    head,
    ...(metric ? { metric } : {}),
    ...(em ? { em } : {}),
  };
}

/** Reads the options of the parsed steps, failing with `fail`. */
function optionReader(steps: Map<string, Map<string, string>>, fail: (what: string) => never) {
  const raw = (step: string, option: string) => steps.get(step)?.get(option);
  const label = (step: string, option: string) => option ? `${step}:${option}` : step;
  return {
    integer(step: string, option: string, fallback: number, min: number, max: number): number {
      const text = raw(step, option);
      if (text === undefined) {
        if (!option && steps.has(step)) fail(`step "${step}" needs a value (${step}=N)`);
        return fallback;
      }
      const n = Number(text);
      if (!/^[0-9]+$/.test(text) || n < min || n > max) {
        fail(`${label(step, option)}=${text} is not a whole number from ${min} to ${max}`);
      }
      return n;
    },
    scales(step: string, fallback: number[], only?: number[]): number[] {
      const text = raw(step, "scales");
      if (text === undefined) return fallback;
      const values = text.split("_").map(Number);
      const bad = only
        ? values.some((v) => !only.includes(v))
        : values.some((v) => !(v > 0 && v <= 1));
      if (bad || new Set(values).size !== values.length) {
        fail(
          `${step}:scales=${text} is not distinct scales ${
            only ? `of ${only.join(", ")}` : "above 0 and at most 1"
          } joined by _`,
        );
      }
      return values;
    },
    box(step: string): Readonly<FaceBox> | undefined {
      const text = raw(step, "");
      if (text === undefined) {
        if (steps.has(step)) fail(`step "${step}" needs a box (${step}=head or ${step}=L_T_R_B)`);
        return undefined;
      }
      return parseBox(text, step, fail);
    },
    noOthers(step: string, allowed: string[]): void {
      for (const option of steps.get(step)?.keys() ?? []) {
        if (!allowed.includes(option)) {
          fail(
            option ? `step "${step}" has no option "${option}"` : `step "${step}" takes no value`,
          );
        }
      }
    },
  };
}

/**
 * The box `text` names: one of {@linkcode PIPELINE_BOXES} or four pixel numbers within 0-250
 * joined by `_`; otherwise `fail` with what step `step` was given.
 */
export function parseBox(
  text: string,
  step: string,
  fail: (what: string) => never,
): Readonly<FaceBox> {
  if (PIPELINE_BOXES[text]) return PIPELINE_BOXES[text];
  const values = text.split("_").map(Number);
  if (
    values.length !== 4 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 250) ||
    values[2] <= values[0] || values[3] <= values[1]
  ) {
    fail(
      `${step}=${text} is not a box name (${
        Object.keys(PIPELINE_BOXES).join(", ")
      }) or L_T_R_B within 0-250`,
    );
  }
  return values as unknown as Readonly<FaceBox>;
}

/** The pipeline written out with every option, in the steps' order: one text per pipeline. */
export function formatPipelineSpec(spec: PipelineSpec): string {
  const d = spec.descriptor;
  const descriptor = d.kind === "fisher"
    ? `fisher:size=${d.size},cell=${d.cell},step=${d.step},scales=${
      d.scales.join("_")
    },gaussians=${d.gaussians}`
    : d.kind === "lbp"
    ? `lbp:scales=${d.scales.join("_")}`
    : "gabor";
  return [
    ...(spec.frame ? [`frame=${spec.frame.join("_")}`] : []),
    `crop=${spec.crop.join("_")}`,
    descriptor,
    ...(spec.mirror ? ["mirror"] : []),
    `pca=${spec.pca}`,
    `lda=${spec.lda}`,
    spec.metric
      ? `metric:rank=${spec.metric.rank},steps=${spec.metric.steps}`
      : spec.head === "jb" && spec.em
      ? `jb:em=${spec.em}`
      : spec.head,
  ].join("/");
}

/**
 * What every family's model takes from a pipeline: the box it reads and its frame, how it is
 * fitted (mirror averaging, PCA and LDA sizes), its head, and its code (the family's module
 * `family` and this parser).
 */
export function pipelineModelOptions(spec: PipelineSpec, family: URL): {
  box: Readonly<FaceBox>;
  frame?: Readonly<FaceBox>;
  mirrorAveraged: boolean;
  pca: number;
  lda: number;
  head: "joint-bayesian" | "cosine" | "pair-metric";
  pairMetric?: { rank: number; steps: number };
  jointBayesianEm?: number;
  code: readonly URL[];
} {
  return {
    box: spec.crop,
    ...(spec.frame ? { frame: spec.frame } : {}),
    mirrorAveraged: spec.mirror,
    pca: spec.pca,
    lda: spec.lda,
    head: spec.head === "jb" ? "joint-bayesian" : spec.head === "metric" ? "pair-metric" : "cosine",
    ...(spec.metric ? { pairMetric: spec.metric } : {}),
    ...(spec.head === "jb" && spec.em ? { jointBayesianEm: spec.em } : {}),
    code: [family, new URL(import.meta.url)],
  };
}
