/**
 * Names of the kernels this project adds to tfjs: composite ops that `lib/model/fisher_vectors.ts`
 * runs as one kernel where a backend registers one (the native library does for wasm:
 * `native_kernels.ts`). Kept apart from both so that neither module's code enters the other's
 * stage keys.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ROOT_SIFT_KERNEL } from "./kernel_names.ts";
 * tf.getKernel(ROOT_SIFT_KERNEL, "cpu"); // undefined: the tfjs ops run
 * ```
 * @module
 */

/** Dense root-SIFT of square one-channel faces (`rootSiftOps` in `fisher_vectors.ts`). */
export const ROOT_SIFT_KERNEL = "FaceComparerRootSift";

/** A Gaussian mixture's posterior moments (`mixtureMomentsOps` in `fisher_vectors.ts`). */
export const MIXTURE_MOMENTS_KERNEL = "FaceComparerMixtureMoments";
