/**
 * Descriptor pipelines composed by name: the parser's defaults and errors, one written-out name
 * per pipeline, and that a composed pipeline is the registered model it spells out (the same
 * faces, crop, descriptor, projection and head), under parameter names of its own.
 */
import assert from "node:assert/strict";
import {
  formatPipelineSpec,
  isPipelineSpec,
  parsePipelineSpec,
} from "../../lib/model/pipeline_spec.ts";
import { pipelineModel } from "../../lib/model/pipeline_model.ts";
import { getModel } from "../../lib/model/registry.ts";
import { FACE_BOXES } from "../../lib/config/defaults.ts";
import { HEAD_AND_FACE_FRAME } from "../../lib/model/face_crop.ts";
import { UserError } from "../../lib/util/errors.ts";
import { readCodeFingerprint } from "../../lib/pipeline/code_fingerprint.ts";
import { stageCode } from "../../lib/pipeline/stages.ts";
import type { SiameseModel } from "../../lib/model/siamese_model.ts";

Deno.test("a pipeline's defaults: the head crop, 100x100 faces, 512 Gaussians, PCA 400, LDA 100, Joint Bayesian", () => {
  assert.deepEqual(parsePipelineSpec("fisher"), {
    crop: FACE_BOXES.head,
    descriptor: {
      kind: "fisher",
      size: 100,
      cell: 5,
      step: 2,
      scales: [1, 0.75, 0.56],
      gaussians: 512,
    },
    mirror: false,
    pca: 400,
    lda: 100,
    head: "jb",
  });
  assert.deepEqual(parsePipelineSpec("lbp/cosine").crop, FACE_BOXES.face100);
  assert.deepEqual(parsePipelineSpec("lbp").descriptor, { kind: "lbp", scales: [1, 2] });
  assert.equal(parsePipelineSpec("gabor/pca=300/lda=80/cosine").head, "cosine");
  const full = parsePipelineSpec(
    "frame=head_and_face/crop=75_84_175_184/fisher:size=64,cell=3,scales=1_0.5,gaussians=64/mirror/pca=200/lda=50/jb",
  );
  assert.deepEqual(full.frame, HEAD_AND_FACE_FRAME);
  assert.deepEqual(full.crop, FACE_BOXES.face100);
  assert.deepEqual(full.descriptor, {
    kind: "fisher",
    size: 64,
    cell: 3,
    step: 2,
    scales: [1, 0.5],
    gaussians: 64,
  });
  assert.equal(full.mirror, true);
  assert.equal(full.pca, 200);
  assert.equal(full.lda, 50);
});

Deno.test("a pair metric head: its rank and steps, on LDA's directions or on the PCA alone (lda=0)", () => {
  const onLda = parsePipelineSpec("fisher/metric");
  assert.equal(onLda.head, "metric");
  assert.deepEqual(onLda.metric, { rank: 64, steps: 4000 });
  const onPca = parsePipelineSpec("fisher/pca=300/lda=0/metric:rank=128,steps=9000");
  assert.equal(onPca.lda, 0);
  assert.deepEqual(onPca.metric, { rank: 128, steps: 9000 });
  assert.equal(
    parsePipelineSpec("lbp/pca=50/lda=10/metric").metric!.rank,
    10,
    "at most the embedding",
  );
  assert.equal(parsePipelineSpec("fisher/jb").metric, undefined);
  const model = pipelineModel(onPca);
  assert.equal(model.embeddingSize, 300, "without LDA the embedding is the PCA's components");
  assert.deepEqual(model.objective, { kind: "lda", components: 300, pcaOnly: true });
  assert.deepEqual(model.fitted!.jointBayesian!.pairMetric, { rank: 128, steps: 9000 });
  assert.match(model.description, /PCA \(300, whitened\) fitted on/);
  assert.match(
    model.description,
    /joint metric and similarity of rank 128 learnt on training pairs/,
  );
  assert.equal(
    pipelineModel(parsePipelineSpec("fisher")).fitted!.jointBayesian!.pairMetric,
    undefined,
  );
});

Deno.test("a Joint Bayesian head refined by EM: its iterations reach the model, 0 is the closed form", () => {
  const refined = parsePipelineSpec("fisher/pca=800/lda=400/jb:em=20");
  assert.equal(refined.head, "jb");
  assert.equal(refined.em, 20);
  const model = pipelineModel(refined);
  assert.equal(model.fitted!.jointBayesian!.em, 20);
  assert.match(
    model.description,
    /Joint Bayesian verification \(covariances refined by 20 EM iterations\)/,
  );
  assert.deepEqual(parsePipelineSpec("fisher/jb:em=0"), parsePipelineSpec("fisher/jb"));
  assert.equal(pipelineModel(parsePipelineSpec("fisher")).fitted!.jointBayesian!.em, undefined);
});

Deno.test("one written-out name per pipeline, which parses back to the same pipeline", () => {
  const texts = [
    "fisher/lda=0/metric:rank=32,steps=10",
    "gabor/metric",
    "fisher",
    "crop=head/fisher/pca=400/lda=100/jb",
    "crop=head/fisher/pca=800/lda=400/jb:em=10",
    "frame=head_and_face/crop=face100/fisher:gaussians=256/mirror/cosine",
    "crop=face100/lbp:scales=1/pca=300",
    "frame=48_50_202_204/gabor",
  ];
  for (const text of texts) {
    const spec = parsePipelineSpec(text);
    const name = formatPipelineSpec(spec);
    assert.deepEqual(parsePipelineSpec(name), spec, text);
    assert.equal(formatPipelineSpec(parsePipelineSpec(name)), name, text);
  }
  assert.equal(
    formatPipelineSpec(parsePipelineSpec("fisher")),
    formatPipelineSpec(parsePipelineSpec("crop=62_52_188_202/fisher:gaussians=512,size=100/jb")),
  );
  assert.equal(
    formatPipelineSpec(parsePipelineSpec("frame=head_and_face/crop=head/fisher:gaussians=256/jb")),
    "frame=48_50_202_204/crop=62_52_188_202/fisher:size=100,cell=5,step=2,scales=1_0.75_0.56,gaussians=256/pca=400/lda=100/jb",
  );
  assert.ok(isPipelineSpec("fisher:gaussians=64") && isPipelineSpec("crop=head/lbp"));
  assert.ok(isPipelineSpec("fisher") && isPipelineSpec("lbp"));
  assert.ok(!isPipelineSpec("fisher100_512_jb") && !isPipelineSpec("a+b"));
});

Deno.test("a wrong pipeline is a one-line UserError naming the step or option", () => {
  const cases: [string, RegExp][] = [
    ["crop=head/jb", /exactly one descriptor/],
    ["fisher/lbp", /exactly one descriptor/],
    ["fisher/sift", /unknown step "sift"/],
    ["fisher/fisher", /given twice/],
    ["fisher/crop=head", /"crop" comes after "fisher"/],
    ["crop=nose/fisher", /crop=nose is not a box name/],
    ["crop=1_2_3/fisher", /crop=1_2_3 is not a box name/],
    ["frame=face100/crop=head/fisher", /crop 62_52_188_202 is not inside frame 75_84_175_184/],
    ["fisher:gaussians=1", /fisher:gaussians=1 is not a whole number from 2 to 2048/],
    ["fisher:gaussians=12.5", /fisher:gaussians=12.5 is not a whole number/],
    ["fisher:colour=1", /step "fisher" has no option "colour"/],
    ["fisher:scales=1_2", /fisher:scales=1_2 is not distinct scales above 0 and at most 1/],
    ["lbp:scales=3", /lbp:scales=3 is not distinct scales of 1, 2, 4/],
    ["fisher/pca=100/lda=100", /lda=100 must be below pca=100/],
    ["fisher/pca", /step "pca" needs a value/],
    ["fisher/mirror=1", /step "mirror" takes no value/],
    ["fisher/jb/cosine", /give one head/],
    ["fisher/jb/metric", /give one head/],
    ["fisher/lda=0/metric:rank=401", /metric:rank=401 is not a whole number from 1 to 400/],
    ["fisher/metric:rank=101", /metric:rank=101 is not a whole number from 1 to 100/],
    ["fisher/metric:steps=0", /metric:steps=0 is not a whole number/],
    ["fisher/metric:margin=1", /step "metric" has no option "margin"/],
    ["fisher/jb:rank=3", /step "jb" has no option "rank"/],
    ["fisher/jb:em=-1", /jb:em=-1 is not a whole number from 0 to 1000/],
    ["fisher/jb:em=1001", /jb:em=1001 is not a whole number from 0 to 1000/],
    ["fisher/crop:x=1", /"crop" comes after "fisher"/],
    ["crop:x=1/fisher", /step "crop" needs a box/],
    ["fisher//jb", /step "" is not name/],
    ["fisher:size=64,size=100", /option "size" of step "fisher" is given twice/],
    ["frame=0_0_250_200/fisher", /frame 0_0_250_200 is not a square/],
    [
      "frame=head_and_face/crop=75_84_185_184/lbp",
      /crop 75_84_185_184 is not centred across frame 48_50_202_204 \(5 pixels right/,
    ],
    ["fisher:size=32,cell=5", /faces at scale 0.56 \(18 pixels\) are smaller than a SIFT patch/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parsePipelineSpec(text), (e: Error) => {
      assert.ok(e instanceof UserError, `${text}: ${e}`);
      assert.match(e.message, pattern, text);
      assert.ok(e.message.startsWith(`--model ${text}: `), e.message);
      assert.ok(!e.message.includes("\n"), e.message);
      return true;
    });
  }
  assert.throws(() => getModel("fisher:gaussians=0"), /--model fisher:gaussians=0: /);
});

/** What makes a model compute what it computes: everything but its names and code. */
function computes(model: SiameseModel) {
  return {
    inputSize: model.inputSize,
    preparedBox: model.preparedBox && [...model.preparedBox],
    description: model.description,
    embeddingSize: model.embeddingSize,
    objective: model.objective,
    verification: model.verification,
    shapes: model.params.map((p) => [p.name.replace(/^[^/]+\//, ""), p.shape, p.part]),
  };
}

Deno.test("a composed pipeline is the registered model it spells out, under parameter names of its own", () => {
  const pairs: [string, string][] = [
    ["fisher100_512_jb", "fisher"],
    ["fisher100_512_headcrop_jb", "frame=head_and_face/crop=head/fisher"],
    ["fisher100_512_facecrop_mirror_jb", "frame=head_and_face/crop=face100/fisher/mirror"],
    ["fisher_jb", "crop=face100/fisher:size=64,cell=3,gaussians=256"],
    ["lbp_jb", "lbp"],
    ["lbp_lda", "lbp:scales=1/cosine"],
    ["gabor_jb", "gabor/jb"],
  ];
  for (const [registered, text] of pairs) {
    const composed = getModel(text);
    assert.deepEqual(computes(composed), computes(getModel(registered)), `${registered}: ${text}`);
    assert.equal(composed.name, formatPipelineSpec(parsePipelineSpec(text)));
    assert.ok(composed.params.every((p) => /^p[0-9a-f]{10}\//.test(p.name)), text);
  }
  // One model per written-out name, and parameter names that differ between pipelines.
  const short = getModel("frame=head_and_face/crop=head/fisher");
  assert.equal(getModel(short.name), short);
  assert.equal(pipelineModel(parsePipelineSpec(short.name)).params[0].name, short.params[0].name);
  const other = getModel("frame=head_and_face/crop=face100/fisher");
  assert.notEqual(other.params[0].name, short.params[0].name);
  // Composed pipelines fuse like any two models.
  const ensemble = getModel(`${short.name}+${other.name}`);
  assert.equal(ensemble.objective.kind, "ensemble");
  assert.equal(ensemble.inputSize, 154);
});

Deno.test("a composed pipeline's code is its family's module and the parser, not the other families'", () => {
  const files = (text: string) =>
    Object.keys(readCodeFingerprint(stageCode("train", [getModel(text)]).parts).files);
  const fisher = files("frame=head_and_face/crop=head/fisher");
  assert.ok(
    fisher.includes("lib/model/fisher_model.ts") && fisher.includes("lib/model/pipeline_spec.ts"),
  );
  assert.ok(
    !fisher.includes("lib/model/lbp_model.ts") && !fisher.includes("lib/model/pipeline_model.ts"),
  );
  const lbp = files("lbp");
  assert.ok(lbp.includes("lib/model/lbp_model.ts") && !lbp.includes("lib/model/fisher_model.ts"));
  assert.ok(![...fisher, ...lbp].includes("lib/model/registry.ts"));
});
