/**
 * Exporting a trained model in TensorFlow.js layers format (`model.json` + `weights.bin`), so
 * it runs anywhere tfjs runs, the browser page included. The model's own layers description
 * (`model.layers`, written beside its training definition) is assembled into one functional
 * model of two face inputs and a same-person probability, and the trained weights are copied in.
 * Custom layers (`AbsDifference`, `ScaledCosine`) are registered by a loader with
 * {@linkcode registerCustomLayers}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelParams } from "../model/model_params.ts";
import { registerCustomLayers } from "../model/custom_layers.ts";

export { registerCustomLayers };

/** Builds `params.model` from tfjs layers (two face inputs, probability out) with its weights. */
export function exportLayersModel(params: ModelParams): tf.LayersModel {
  registerCustomLayers();
  const model = params.model;
  const size = model.inputSize;
  const face = tf.input({ shape: [size, size, 1], name: "face" });
  const branch = model.layers.branch(face);
  const branchModel = tf.model({ inputs: face, outputs: branch.output, name: "branch" });
  const left = tf.input({ shape: [size, size, 1], name: "left" });
  const right = tf.input({ shape: [size, size, 1], name: "right" });
  const head = model.layers.head(
    branchModel.apply(left) as tf.SymbolicTensor,
    branchModel.apply(right) as tf.SymbolicTensor,
  );
  const probability = tf.layers.activation({ activation: "sigmoid", name: "probability" })
    .apply(head.output) as tf.SymbolicTensor;
  const layersModel = tf.model({
    inputs: [left, right],
    outputs: probability,
    name: `face_comparer_${model.name}`,
  });
  for (const [layer, names] of [...branch.weighted, ...head.weighted]) {
    layer.setWeights(names.map((name) => params.variable(name)));
  }
  return layersModel;
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
  registerCustomLayers();
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
