/**
 * `model_card.md`, written by `export` beside the model: what the model is, what it was trained
 * and measured on (from the experiment's own records), how it decides, how faces are found in
 * photos, what it must not be used for, and how large each exported file is.
 * @module
 */
import type { Preprocessing } from "./export_experiment.ts";
import type { ExperimentFacts } from "./face_comparer.ts";

const pct = (v: number | undefined) => (v === undefined ? "n/a" : `${(100 * v).toFixed(2)}%`);
const num = (v: unknown) => (typeof v === "number" ? String(v) : "n/a");

/** Bytes in words: kB under a megabyte, else MB. */
export function describeSize(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(0)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The card's Markdown for an export described by `pre`, with the experiment's `facts`. */
export function modelCard(
  pre: Preprocessing,
  facts: ExperimentFacts,
  files: Record<string, number>,
): string {
  const m = facts.testMetrics;
  const split = facts.split ?? {};
  const prepared = facts.prepared ?? {};
  const sets = m
    ? Object.entries(m.sets).map(([name, s]) =>
      `| ${name} | ${s.pairs} | ${pct(s.atThreshold.accuracy)} | ${s.auc.toFixed(4)} | ${
        pct(s.eer)
      } |`
    )
    : [];
  const c = pre.calibration;
  return `# Model card: ${pre.experiment}

Written by face-comparer's \`deno task export\` on ${new Date().toISOString().slice(0, 10)}.

## Model

- Experiment \`${pre.experiment}\`, model \`${pre.model}\` (see the project's docs/models.md).
- Input: two faces, each the crop [${
    pre.box.join(", ")
  }] of LFW's ${pre.frame}x${pre.frame} frame, resampled to ${pre.faceSize}x${pre.faceSize}${
    pre.grey ? " grey" : ""
  } and then to the model's ${pre.inputSize}x${pre.inputSize} input (preprocessing.json has every step).
- Output: the model's same-person score; \`face_comparer.js\`'s \`calibrated()\` and the page turn it into a calibrated probability.

## Training and evaluation data

- Labeled Faces in the Wild (LFW; Huang et al., UMass Amherst TR 07-49, 2007): public figures in news photos.
- Images: ${String(prepared.imagesDir ?? "n/a")} (${num(prepared.images)} images of ${
    num(prepared.people)
  } people).
- Split: protocol \`${String(split.protocol ?? "n/a")}\`${
    split.fold ? `, fold ${split.fold}` : ""
  }, seed ${num(split.seed)}; ${
    split.protocol === "seed"
      ? "validation pairs drawn from images held out of training (the seed protocol is image-disjoint, not person-disjoint)"
      : `validation pairs from people held out of training (share ${num(split.valPeopleShare)})`
  }.
${
    m
      ? `
| set | pairs | accuracy at the threshold | AUC | EER |
| --- | --- | --- | --- | --- |
${sets.join("\n")}
`
      : "\nNot evaluated by `test` yet: no figures.\n"
  }${
    pre.nearChance
      ? "\n**Warning: this model scored no better than chance on its validation pairs; its verdicts are guesses.**\n"
      : ""
  }
These figures hold for LFW-framed faces (the protocol reads LFW's own framing). On other photos the
robustness benchmark (\`deno task bench --robustness ${pre.experiment}\`) measures the accuracy after
re-framing.

## Decision

- Threshold ${pre.threshold.toFixed(4)} on the raw score (${pre.thresholdSource}).
${
    c
      ? `- Calibrated probability: sigmoid(${c.alpha.toFixed(4)} x logit(score) + ${
        c.beta.toFixed(4)
      }) (Platt scaling on ${c.pairs} validation pairs); expected calibration error on validation ${
        c.eceBefore.toFixed(3)
      } raw, ${
        c.eceAfter.toFixed(3)
      } calibrated (two-fold cross-fitted). The threshold on that scale: ${c.threshold.toFixed(4)}.`
      : "- No calibration could be fitted: the probability is the model's own score."
  }

## Faces in photos

- \`compare\` finds faces with ${pre.faces.detector} and aligns the eye centres, nose tip and mouth
  corners onto their mean positions in the training images' frame (${pre.faces.canonical.name}:
  ${pre.faces.canonical.points.map(([x, y]) => `(${x}, ${y})`).join(", ")}; measured by
  \`${pre.faces.canonical.command}\`). A photo without a face is refused, never compared.
- The detector's models were trained by their authors outside LFW (the SSD detector on WIDER FACE,
  the landmark net on about 35,000 face images, per face-api's documentation); they are used for
  comparing photos only, never in the LFW figures above.
- \`face_comparer.js\`'s \`probability(a, b)\` reads the fixed box of the photo's largest centred
  square (LFW-framed photos only).

## Intended use and limitations

- Research and demonstration of face verification on LFW-like photos. Not for identifying people,
  surveillance, or any decision about a person: error rates are those of the table above at best,
  LFW's people are mostly adult public figures photographed by the press (skewed in age, gender
  and ethnicity), and no subgroup was measured.
- Low light, profiles, occlusion and small faces reduce accuracy; a photo of a photo is accepted.

## Files

| file | size |
| --- | --- |
${Object.entries(files).map(([name, bytes]) => `| ${name} | ${describeSize(bytes)} |`).join("\n")}
`;
}
