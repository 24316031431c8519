/**
 * `deno task export`: a trained experiment's model in TensorFlow.js layers format, with its
 * preprocessing and threshold, in a folder of the user's choice.
 * @module
 */
import { join } from "node:path";
import type { BackendChoice } from "../backend/select_backend.ts";
import type { ArtifactStore } from "../pipeline/artifact_store.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { FaceComparer } from "./face_comparer.ts";
import { exportLayersModel, serializeLayersModel } from "./export_layers_model.ts";
import { buildComparePage } from "./browser_page.ts";
import { exportModuleSource } from "./export_module.ts";
import { type PreprocessingSpec, preprocessingSpec } from "../data/face_preprocessing.ts";

/**
 * `preprocessing.json`: how to turn a photo into the model's inputs (the steps of
 * `lib/data/face_preprocessing.ts`, in numbers and words), and how to decide.
 */
export interface Preprocessing extends PreprocessingSpec {
  experiment: string;
  model: string;
  /** Same person when the output probability is >= threshold. */
  threshold: number;
  thresholdSource: string;
  /** true when the model scored no better than chance on its validation pairs. */
  nearChance: boolean;
}

/**
 * Writes model.json, weights.bin, preprocessing.json, face_comparer.js (the ES module that
 * registers the custom layers and prepares faces as the project does) and the standalone
 * comparison page compare.html for experiment `name` into `outDir`.
 */
export async function exportExperiment(
  store: ArtifactStore,
  name: string,
  options: { outDir: string; backend?: BackendChoice },
): Promise<Preprocessing> {
  // The exported layers model scores the faces as they are (no mirror averaging), so its
  // threshold is the one chosen on validation for that way of scoring.
  const comparer = await FaceComparer.open(store, name, { backend: options.backend, flip: false });
  try {
    const files = await serializeLayersModel(exportLayersModel(comparer.params));
    const preprocessing: Preprocessing = {
      experiment: name,
      model: comparer.params.model.name,
      ...preprocessingSpec(comparer.prepare, comparer.params.model.inputSize),
      threshold: comparer.threshold,
      thresholdSource: comparer.thresholdSource,
      nearChance: comparer.nearChance,
    };
    await writeFileAtomic(join(options.outDir, "weights.bin"), files["weights.bin"]);
    await writeFileAtomic(
      join(options.outDir, "model.json"),
      new TextEncoder().encode(files["model.json"]),
    );
    await writeJsonAtomic(join(options.outDir, "preprocessing.json"), preprocessing);
    await writeFileAtomic(
      join(options.outDir, "face_comparer.js"),
      new TextEncoder().encode(exportModuleSource(preprocessing)),
    );
    const page = await buildComparePage(files, preprocessing);
    await writeFileAtomic(join(options.outDir, "compare.html"), new TextEncoder().encode(page));
    return preprocessing;
  } finally {
    comparer.dispose();
  }
}
