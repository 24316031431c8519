/**
 * The one list of the layers this project's models need that tfjs lacks, for the layers-format
 * export: the networks' and ensembles' ({@linkcode AbsDifference}, {@linkcode ScaledCosine},
 * {@linkcode L2Normalize}, {@linkcode WeightedUnitConcat}, {@linkcode ColumnSlice},
 * {@linkcode WeightedLogitSum}: `basic_layers.ts`) and the descriptors' ({@linkcode LbpHistograms},
 * {@linkcode GaborMagnitudes}, {@linkcode FisherVectors}, {@linkcode JointBayesianScore}: each in
 * its descriptor's module) and the crop step's ({@linkcode FaceCrop}: `face_crop.ts`). A loader
 * registers them with {@linkcode registerCustomLayers}; the
 * browser page defines the same classes. Model definitions import their own layers from where
 * they live, not from here, so that a model's code (its artifacts' key) is its own.
 *
 * @example
 * ```ts
 * registerCustomLayers();
 * const model = await tf.loadLayersModel("file://model.json");
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  AbsDifference,
  ColumnSlice,
  L2Normalize,
  ScaledCosine,
  WeightedLogitSum,
  WeightedUnitConcat,
} from "./basic_layers.ts";
import { FaceCrop } from "./face_crop.ts";
import { FisherVectors } from "./fisher_vectors.ts";
import { GaborMagnitudes } from "./gabor_magnitudes.ts";
import { JointBayesianScore } from "./joint_bayesian.ts";
import { LbpHistograms } from "./lbp_histograms.ts";

export {
  AbsDifference,
  ColumnSlice,
  FaceCrop,
  FisherVectors,
  GaborMagnitudes,
  JointBayesianScore,
  L2Normalize,
  LbpHistograms,
  ScaledCosine,
  WeightedLogitSum,
  WeightedUnitConcat,
};

/** Every custom layer class: what a loader registers, and what the exported module defines. */
export const CUSTOM_LAYERS = [
  AbsDifference,
  ScaledCosine,
  L2Normalize,
  LbpHistograms,
  GaborMagnitudes,
  FisherVectors,
  WeightedUnitConcat,
  JointBayesianScore,
  ColumnSlice,
  WeightedLogitSum,
  FaceCrop,
] as const;

let registered = false;

/** Registers the custom layers for (de)serialisation (idempotent). */
export function registerCustomLayers(): void {
  if (registered) return;
  for (const layer of CUSTOM_LAYERS) tf.serialization.registerClass(layer);
  registered = true;
}
