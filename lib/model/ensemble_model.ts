/**
 * Ensembles: models that compare two faces with several trained identity models at once. The
 * ensemble's embedding is each member's embedding scaled to unit length and weighted, all
 * concatenated; its cosine is then the weighted mean of the members' cosines (weights w_i^2 /
 * sum w_j^2), so two kinds of errors that do not coincide (a CNN's and a descriptor's) partly
 * cancel. When a member scores pairs with a learnt head of its own (a Joint Bayesian one), the
 * ensemble's logit is instead the weighted sum of the members' own logits, each member's head
 * reading its part of the embedding (for members compared by cosine this is the same weighted
 * mean of cosines). The weights are chosen on the validation pairs (`lib/train/fit_ensemble.ts`);
 * the members' parameters are copied in unchanged, under `member<i>/`.
 *
 * An ensemble is named by its members' models joined by `+` (e.g. `seed64_cosface+lbp_lda`),
 * which is all its definition needs; `train --members` makes one from trained experiments.
 *
 * @example
 * ```ts
 * const model = ensembleModel([getModel("seed64_cosface"), getModel("lbp_lda")]);
 * model.embeddingSize; // 256 + 100
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "../util/errors.ts";
import { ColumnSlice, WeightedLogitSum, WeightedUnitConcat } from "./basic_layers.ts";
import { COSINE_LOGIT_SCALE, scaledCosine, scaledCosineLayers } from "./scaled_cosine.ts";
import {
  comparesByCosine,
  type ForwardContext,
  type LayersPart,
  type ParamSpec,
  type SiameseModel,
} from "./siamese_model.ts";
import { unitVectors } from "./unit_vectors.ts";

/** Joins the member models' names in an ensemble's name. */
export const ENSEMBLE_SEPARATOR = "+";
/** The members' weights [members]. */
export const ENSEMBLE_WEIGHTS = "ensemble/weights";

/** The name of member `i`'s (0-based) parameter `name` inside the ensemble. */
export function memberParamName(i: number, name: string): string {
  return `member${i + 1}/${name}`;
}

/** The prefix of member `i`'s (0-based) layer names in the export, inside `prefix`. */
function memberPrefix(prefix: string, i: number): string {
  return `${prefix}member${i + 1}_`;
}

/** The ensemble of `members` (at least two identity models of one input size). */
export function ensembleModel(members: readonly SiameseModel[]): SiameseModel {
  const name = members.map((m) => m.name).join(ENSEMBLE_SEPARATOR);
  if (members.length < 2) throw new UserError(`ensemble ${name}: it needs two members or more`);
  for (const m of members) {
    if (m.objective.kind === "pair" || m.objective.kind === "ensemble") {
      throw new UserError(
        `ensemble ${name}: member ${m.name} ${
          m.objective.kind === "pair"
            ? "verifies pairs with a learnt head, not by comparing embeddings"
            : "is an ensemble itself"
        }; members must be identity models`,
      );
    }
    if (m.inputSize !== members[0].inputSize) {
      throw new UserError(
        `ensemble ${name}: members read faces of different sizes (${m.name}: ${m.inputSize}, ${
          members[0].name
        }: ${members[0].inputSize})`,
      );
    }
  }
  const params: ParamSpec[] = members.flatMap((m, i) =>
    m.params.map((p) => ({ ...p, name: memberParamName(i, p.name), trainable: false }))
  );
  params.push({
    name: ENSEMBLE_WEIGHTS,
    shape: [members.length],
    init: "ones",
    trainable: false,
    part: "branch",
  });
  // Member i's own view of the ensemble's parameters.
  const own = (p: Record<string, tf.Tensor>, i: number) =>
    Object.fromEntries(members[i].params.map((s) => [s.name, p[memberParamName(i, s.name)]]));
  const byCosine = members.every(comparesByCosine);
  // Where member i's part of the embedding begins.
  const offsets = members.map((_, i) =>
    members.slice(0, i).reduce((sum, m) => sum + m.embeddingSize, 0)
  );
  // The weighted sum of the members' own logits, each from its part of both embeddings; the
  // stored weights are square roots (they scale the unit embeddings), so w_i = stored_i^2.
  const fusedLogits = (
    p: Record<string, tf.Tensor>,
    l: tf.Tensor2D,
    r: tf.Tensor2D,
    ctx: ForwardContext,
  ) =>
    tf.tidy(() =>
      members.map((m, i) => {
        const part = (x: tf.Tensor2D) => tf.slice(x, [0, offsets[i]], [-1, m.embeddingSize]);
        const weight = tf.square(tf.slice(p[ENSEMBLE_WEIGHTS], [i], [1]));
        return tf.mul(m.head(own(p, i), part(l), part(r), ctx), weight);
      }).reduce((sum, z) => tf.add(sum, z)) as tf.Tensor2D
    );
  return {
    name,
    description: `ensemble of ${
      members.map((m) => m.name).join(", ")
    }: unit embeddings, weighted (chosen on validation) and concatenated; ${
      byCosine ? "cosine verification" : "the weighted sum of the members' own logits"
    }`,
    verification: byCosine ? "cosine" : "learnt",
    inputSize: members[0].inputSize,
    batchSize: members[0].batchSize,
    embeddingSize: members.reduce((sum, m) => sum + m.embeddingSize, 0),
    movingAverageMomentum: 0,
    objective: { kind: "ensemble" },
    // This module and each member's own.
    code: [
      ...new Map(
        [new URL(import.meta.url), ...members.flatMap((m) => m.code)].map((u) => [u.href, u]),
      ).values(),
    ],
    params,
    embed: (p, images, ctx) =>
      tf.tidy(() =>
        tf.concat(
          members.map((m, i) =>
            tf.mul(
              unitVectors(m.embed(own(p, i), images, ctx), 1),
              tf.slice(p[ENSEMBLE_WEIGHTS], [i], [1]),
            )
          ),
          1,
        ) as tf.Tensor2D
      ),
    head: byCosine ? (_p, l, r) => scaledCosine(l, r, COSINE_LOGIT_SCALE) : fusedLogits,
    layers: {
      branch(face, prefix = ""): LayersPart {
        const parts = members.map((m, i) => m.layers.branch(face, memberPrefix(prefix, i)));
        const concat = new WeightedUnitConcat({ name: `${prefix}ensemble` });
        return {
          output: concat.apply(parts.map((part) => part.output)) as tf.SymbolicTensor,
          weighted: [
            ...parts.flatMap((part, i) =>
              part.weighted.map(([layer, names]) =>
                [layer, names.map((n) => memberParamName(i, n))] as [tf.layers.Layer, string[]]
              )
            ),
            [concat, [ENSEMBLE_WEIGHTS]],
          ],
        };
      },
      head: byCosine ? scaledCosineLayers : (left, right, prefix = ""): LayersPart => {
        const heads = members.map((m, i) => {
          const slice = new ColumnSlice({
            begin: offsets[i],
            size: m.embeddingSize,
            name: `${memberPrefix(prefix, i)}part`,
          });
          const [l, r] = [slice.apply(left), slice.apply(right)] as tf.SymbolicTensor[];
          return m.layers.head(l, r, memberPrefix(prefix, i));
        });
        const sum = new WeightedLogitSum({ name: `${prefix}ensemble_logit` });
        return {
          output: sum.apply(heads.map((h) => h.output)) as tf.SymbolicTensor,
          weighted: [
            ...heads.flatMap((h, i) =>
              h.weighted.map(([layer, names]) =>
                [layer, names.map((n) => memberParamName(i, n))] as [tf.layers.Layer, string[]]
              )
            ),
            [sum, [ENSEMBLE_WEIGHTS]],
          ],
        };
      },
    },
  };
}
