/**
 * Models by name. Add a model by writing its definition and listing it here.
 * @module
 */
import { UserError } from "../util/errors.ts";
import { SEED_MODEL } from "./seed_model.ts";
import { SEED64_COSFACE_MODEL, SEED_COSFACE_MODEL } from "./seed_cosface_model.ts";
import { BN64_COSFACE_MODEL, BN_COSFACE_MODEL } from "./bn_cosface_model.ts";
import { LBP_JB_MODEL, LBP_LDA_MODEL } from "./lbp_model.ts";
import { GABOR_JB_MODEL } from "./gabor_model.ts";
import {
  FISHER100_512_FACECROP_JB_MODEL,
  FISHER100_512_FACECROP_MIRROR_JB_MODEL,
  FISHER100_512_HEADCROP_JB_MODEL,
  FISHER100_512_HEADCROP_MIRROR_JB_MODEL,
  FISHER100_512_JB_MODEL,
  FISHER100_512_MIRROR_JB_MODEL,
  FISHER100_JB_MODEL,
  FISHER_JB_MODEL,
} from "./fisher_model.ts";
import { ENSEMBLE_SEPARATOR, ensembleModel } from "./ensemble_model.ts";
import {
  formatPipelineSpec,
  isPipelineSpec,
  parsePipelineSpec,
  PIPELINE_STEPS,
} from "./pipeline_spec.ts";
import { pipelineModel } from "./pipeline_model.ts";
import { framedModel, isFramedSpec, parseFramedSpec } from "./framed_model.ts";
import { PREPARE_DEFAULTS } from "../config/defaults.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** Every available model, by name. */
export const MODELS: Readonly<Record<string, SiameseModel>> = {
  seed: SEED_MODEL,
  seed_cosface: SEED_COSFACE_MODEL,
  seed64_cosface: SEED64_COSFACE_MODEL,
  bn_cosface: BN_COSFACE_MODEL,
  bn64_cosface: BN64_COSFACE_MODEL,
  lbp_lda: LBP_LDA_MODEL,
  lbp_jb: LBP_JB_MODEL,
  gabor_jb: GABOR_JB_MODEL,
  fisher_jb: FISHER_JB_MODEL,
  fisher100_jb: FISHER100_JB_MODEL,
  fisher100_512_jb: FISHER100_512_JB_MODEL,
  fisher100_512_mirror_jb: FISHER100_512_MIRROR_JB_MODEL,
  fisher100_512_headcrop_jb: FISHER100_512_HEADCROP_JB_MODEL,
  fisher100_512_facecrop_jb: FISHER100_512_FACECROP_JB_MODEL,
  fisher100_512_headcrop_mirror_jb: FISHER100_512_HEADCROP_MIRROR_JB_MODEL,
  fisher100_512_facecrop_mirror_jb: FISHER100_512_FACECROP_MIRROR_JB_MODEL,
};

const composed = new Map<string, SiameseModel>();

/**
 * Returns the named model (an ensemble's name joins its members' with `+`), a network reading a
 * crop of larger faces (`framed_model.ts`: `frame=head_and_face/crop=face100/seed64_cosface`),
 * or the descriptor pipeline a name composes (`pipeline_spec.ts`:
 * `crop=head/fisher:gaussians=256/jb`), or a UserError listing the known ones.
 */
export function getModel(name: string): SiameseModel {
  if (name.includes(ENSEMBLE_SEPARATOR)) {
    return ensembleModel(name.split(ENSEMBLE_SEPARATOR).map(getModel));
  }
  if (isFramedSpec(name, (last) => Object.hasOwn(MODELS, last))) {
    const spec = parseFramedSpec(name);
    const network = getModel(spec.network);
    const model = framedModel(
      network,
      spec.frame,
      spec.crop ?? network.preparedBox ?? PREPARE_DEFAULTS.box,
    );
    const known = composed.get(model.name);
    if (known) return known;
    composed.set(model.name, model);
    return model;
  }
  const last = name.slice(name.lastIndexOf("/") + 1);
  if (name.includes("/") && /^[a-z0-9_]+$/.test(last) && !PIPELINE_STEPS.includes(last)) {
    throw new UserError(
      `--model ${name}: "${last}" is neither a network (${
        networkNames().join(", ")
      }) nor a descriptor pipeline's step (${PIPELINE_STEPS.join(", ")}); see docs/models.md`,
    );
  }
  if (isPipelineSpec(name)) {
    // One model per pipeline, however it is spelt.
    const spec = parsePipelineSpec(name);
    const written = formatPipelineSpec(spec);
    let model = composed.get(written);
    if (!model) composed.set(written, model = pipelineModel(spec));
    return model;
  }
  const model = MODELS[name];
  if (!model) {
    throw new UserError(
      `--model: unknown model "${name}" (known: ${
        Object.keys(MODELS).join(", ")
      }; or a descriptor pipeline such as crop=head/fisher:gaussians=256/jb, or a network reading a crop, frame=head_and_face/crop=face100/seed64_cosface; see docs/models.md)`,
    );
  }
  return model;
}

/** The registered networks: the models a framed name (`frame=B/crop=C/NETWORK`) can end with. */
function networkNames(): string[] {
  return Object.entries(MODELS)
    .filter(([, model]) => model.objective.kind !== "lda" && model.objective.kind !== "ensemble")
    .map(([name]) => name);
}
