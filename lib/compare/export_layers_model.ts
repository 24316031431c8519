/**
 * Exporting a trained `seed` model in TensorFlow.js layers format (`model.json` +
 * `weights.bin`), with a small `preprocessing.json` (input sizes, crop box, threshold), so it
 * runs anywhere tfjs runs, the browser page included. The functional model of this project is
 * rebuilt from tfjs layers (the |left - right| merge is the custom layer `AbsDifference`, which
 * a loader registers with {@linkcode registerAbsDifference}) and its weights copied in.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelParams } from "../model/model_params.ts";
import { ALPHA, SEED_CONVS } from "../model/seed_model.ts";

/** |a - b| of two inputs, as a layer (tfjs has no Lambda layer). */
export class AbsDifference extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "AbsDifference";

  override computeOutputShape(inputShape: tf.Shape[]): tf.Shape {
    return inputShape[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = inputs as tf.Tensor[];
      return tf.abs(tf.sub(a, b));
    });
  }
}

let registered = false;

/** Registers {@linkcode AbsDifference} for (de)serialisation (idempotent). */
export function registerAbsDifference(): void {
  if (registered) return;
  tf.serialization.registerClass(AbsDifference);
  registered = true;
}

/** Builds the `seed` architecture from tfjs layers and copies `params` into it. */
export function seedLayersModel(params: ModelParams): tf.LayersModel {
  if (params.model.name !== "seed") {
    throw new Error(`export supports the seed model, not ${params.model.name}`);
  }
  registerAbsDifference();
  const size = params.model.inputSize;
  const value = (name: string) => params.variable(name);
  const branchInput = tf.input({ shape: [size, size, 1], name: "face" });
  let h: tf.SymbolicTensor = branchInput;
  const weighted: [tf.layers.Layer, string[]][] = [];
  for (const c of SEED_CONVS) {
    const conv = tf.layers.conv2d({
      name: c.name,
      filters: c.filters,
      kernelSize: c.kernel,
      strides: c.stride,
      padding: c.pad,
    });
    weighted.push([conv, [`${c.name}/kernel`, `${c.name}/bias`]]);
    h = tf.layers.leakyReLU({ alpha: ALPHA, name: `${c.name}_leaky` }).apply(
      conv.apply(h),
    ) as tf.SymbolicTensor;
  }
  h = tf.layers.dropout({ rate: 0.25, name: "branch_dropout" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten({ name: "flatten" }).apply(h) as tf.SymbolicTensor;
  const embed = tf.layers.dense({ name: "embed", units: 512 });
  const embedBn = tf.layers.batchNormalization({ name: "embed_bn", epsilon: 1e-3, momentum: 0.99 });
  weighted.push([embed, ["embed/kernel", "embed/bias"]]);
  weighted.push([embedBn, [
    "embed_bn/gamma",
    "embed_bn/beta",
    "embed_bn/moving_mean",
    "embed_bn/moving_variance",
  ]]);
  h = tf.layers.activation({ activation: "tanh", name: "embed_tanh" }).apply(
    embedBn.apply(embed.apply(h)),
  ) as tf.SymbolicTensor;
  const branch = tf.model({ inputs: branchInput, outputs: h, name: "branch" });

  const left = tf.input({ shape: [size, size, 1], name: "left" });
  const right = tf.input({ shape: [size, size, 1], name: "right" });
  let m = new AbsDifference({ name: "abs_difference" }).apply([
    branch.apply(left) as tf.SymbolicTensor,
    branch.apply(right) as tf.SymbolicTensor,
  ]) as tf.SymbolicTensor;
  m = tf.layers.gaussianNoise({ stddev: 0.5, name: "noise" }).apply(m) as tf.SymbolicTensor;
  m = tf.layers.dropout({ rate: 0.2, name: "merge_dropout" }).apply(m) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ name: "hidden", units: 256 });
  const hiddenBn = tf.layers.batchNormalization({
    name: "hidden_bn",
    epsilon: 1e-3,
    momentum: 0.99,
  });
  weighted.push([hidden, ["hidden/kernel", "hidden/bias"]]);
  weighted.push([hiddenBn, [
    "hidden_bn/gamma",
    "hidden_bn/beta",
    "hidden_bn/moving_mean",
    "hidden_bn/moving_variance",
  ]]);
  m = tf.layers.leakyReLU({ alpha: ALPHA, name: "hidden_leaky" }).apply(
    hiddenBn.apply(hidden.apply(m)),
  ) as tf.SymbolicTensor;
  m = tf.layers.dropout({ rate: 0.5, name: "hidden_dropout" }).apply(m) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: "output", units: 1, activation: "sigmoid" });
  weighted.push([output, ["output/kernel", "output/bias"]]);
  const model = tf.model({
    inputs: [left, right],
    outputs: output.apply(m) as tf.SymbolicTensor,
    name: "face_comparer_seed",
  });
  for (const [layer, names] of weighted) layer.setWeights(names.map(value));
  return model;
}

/** The files of an exported model. */
export interface ExportedFiles {
  "model.json": string;
  "weights.bin": Uint8Array;
}

/** Serialises a layers model to `model.json` and `weights.bin`. */
export async function serializeLayersModel(model: tf.LayersModel): Promise<ExportedFiles> {
  let files: ExportedFiles | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    const data = artifacts.weightData as ArrayBuffer;
    files = {
      "model.json": JSON.stringify({
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: "face-comparer export",
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      }),
      "weights.bin": new Uint8Array(data),
    };
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return files!;
}

/** Loads an exported model from its two files (in memory). */
export async function loadExportedModel(files: ExportedFiles): Promise<tf.LayersModel> {
  registerAbsDifference();
  const json = JSON.parse(files["model.json"]);
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: files["weights.bin"].buffer.slice(
      files["weights.bin"].byteOffset,
      files["weights.bin"].byteOffset + files["weights.bin"].byteLength,
    ) as ArrayBuffer,
  }));
}
