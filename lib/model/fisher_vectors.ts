/**
 * Fisher vectors of dense SIFT, the third classical face descriptor here, after "Fisher Vector
 * Faces in the Wild" (Simonyan, Parkhi, Vedaldi & Zisserman 2013), the best LFW result without
 * outside data before deep networks: every face is described by SIFT-like gradient histograms
 * (4 x 4 cells of 8 orientations, `cell` pixels a cell) computed every `step` pixels at several
 * `scales` of the face; each local descriptor is reduced by PCA and given its position in the
 * face (x and y), and the set of them is encoded by its deviation from a Gaussian mixture
 * fitted on training faces: for each Gaussian the weighted mean and variance of the
 * descriptors it explains, relative to its own (Perronnin et al. 2010, improved Fisher vector:
 * signed square root, unit length). Because the positions are part of the local descriptors,
 * each Gaussian learns a facial part at a place, so the encoding is a soft, learnt alignment.
 *
 * Everything is tfjs operations, so the same functions run in training, `test`, `compare` and,
 * copied into the export, in the browser. The two costly steps, the SIFT and the mixture's
 * posterior moments, run as one kernel each where the backend has one (the native library's on
 * wasm: 2.4x faster encoding here), their tfjs operations otherwise. The fitted encoder (PCA and
 * mixture) is a model parameter set (`FisherEncoder`); `lib/train/fit_fisher_encoder.ts` fits it.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { localDescriptors } from "./fisher_vectors.ts";
 * const faces = tf.randomUniform([2, 64, 64, 1], 0, 255) as tf.Tensor4D;
 * const [whole, smaller] = localDescriptors(faces, { cell: 3, step: 2, scales: [1, 0.75] });
 * whole.sift.shape; // [2, 729, 128]; smaller.positions.shape: [361, 2]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MIXTURE_MOMENTS_KERNEL, ROOT_SIFT_KERNEL } from "../backend/kernel_names.ts";

/** Where and how the local descriptors are computed. */
export interface DenseSiftOptions {
  /** Side of a SIFT cell in pixels (a descriptor covers 4 x 4 cells). */
  cell: number;
  /** Pixels between neighbouring descriptors, down and across. */
  step: number;
  /** Sizes of the face, relative to the input, at which descriptors are computed. */
  scales: number[];
}

/** A Fisher vector encoder: the local descriptors' PCA and the Gaussian mixture. */
export interface FisherEncoder {
  /** Mean of the SIFT descriptors [128]. */
  siftMean: tf.Tensor;
  /** PCA basis of the SIFT descriptors [128, components]. */
  siftBasis: tf.Tensor;
  /** Gaussians' means [gaussians, components + 2] (the last two: x and y). */
  means: tf.Tensor;
  /** Gaussians' diagonal variances [gaussians, components + 2]. */
  variances: tf.Tensor;
  /** Gaussians' mixing weights [gaussians]. */
  weights: tf.Tensor;
}

/** Local descriptors of one scale of the faces. */
export interface LocalDescriptors {
  /** Root-SIFT descriptors [batch, places, 128]. */
  sift: tf.Tensor3D;
  /** Centre of each descriptor's patch [places, 2]: x and y from -0.5 to 0.5 of the face. */
  positions: tf.Tensor2D;
}

/** Length of a Fisher vector of `gaussians` Gaussians over `dims`-value local descriptors. */
export function fisherVectorSize(gaussians: number, dims: number): number {
  return 2 * gaussians * dims;
}

/**
 * Dense root-SIFT descriptors of faces [batch, size, size, 1], one part per scale of
 * `options.scales` (the faces resized to it): `sift` [batch, places, 128] ({@linkcode rootSift})
 * and `positions`.
 */
export function localDescriptors(
  images: tf.Tensor4D,
  options: DenseSiftOptions,
): LocalDescriptors[] {
  // tidy keeps the tensors of the returned objects.
  return tf.tidy(() => {
    const size = images.shape[1];
    const cell = options.cell, step = options.step;
    const patch = 4 * cell;
    const parts: LocalDescriptors[] = [];
    for (const scale of options.scales) {
      const side = Math.round(size * scale);
      const face = side === size
        ? images
        : tf.image.resizeBilinear(images, [side, side], false, true);
      const sift = rootSift(face, cell, step);
      const count = Math.round(Math.sqrt(sift.shape[1]));
      const places: number[] = [];
      for (let y = 0; y < count; y++) {
        for (let x = 0; x < count; x++) {
          places.push((x * step + patch / 2) / side - 0.5, (y * step + patch / 2) / side - 0.5);
        }
      }
      parts.push({ sift, positions: tf.tensor2d(places, [count * count, 2]) });
    }
    // Kept apart per scale: tfjs's concatenations are slow, and nothing needs them joined.
    return parts as unknown as tf.TensorContainer;
  }) as unknown as LocalDescriptors[];
}

/**
 * Root-SIFT descriptors [batch, places, 128] of faces [batch, side, side, 1], every `step`
 * pixels, places numbered row by row ({@linkcode rootSiftOps}), by the `ROOT_SIFT_KERNEL` where
 * the backend has one (`lib/backend/kernel_names.ts`: the native library registers it for wasm,
 * 20-30x faster; elsewhere, the browser included, the tfjs ops run).
 */
export function rootSift(face: tf.Tensor4D, cell: number, step: number): tf.Tensor3D {
  if (tf.getKernel(ROOT_SIFT_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(ROOT_SIFT_KERNEL, { images: face }, { cell, step }) as tf.Tensor3D;
  }
  return rootSiftOps(face, cell, step);
}

/**
 * {@linkcode rootSift} as tfjs operations: each L2-normalised, clipped at 0.2, then L1-normalised
 * and square-rooted ("root SIFT", Arandjelovic & Zisserman 2012).
 */
export function rootSiftOps(face: tf.Tensor4D, cell: number, step: number): tf.Tensor3D {
  return tf.tidy(() => {
    const side = face.shape[1];
    // Central differences, the border pixels repeated.
    const padded = tf.mirrorPad(face, [[0, 0], [1, 1], [1, 1], [0, 0]], "symmetric");
    const gx = tf.div(
      tf.sub(
        tf.slice(padded, [0, 1, 2, 0], [-1, side, side, 1]),
        tf.slice(padded, [0, 1, 0, 0], [-1, side, side, 1]),
      ),
      2,
    );
    const gy = tf.div(
      tf.sub(
        tf.slice(padded, [0, 2, 1, 0], [-1, side, side, 1]),
        tf.slice(padded, [0, 0, 1, 0], [-1, side, side, 1]),
      ),
      2,
    );
    const magnitude = tf.sqrt(tf.add(tf.square(gx), tf.square(gy)));
    const angle = tf.atan2(gy, gx);
    // Each gradient votes into its two nearest of 8 orientations, linearly.
    const centres = tf.tensor1d(Array.from({ length: 8 }, (_, o) => (o * Math.PI) / 4));
    const away = tf.abs(
      tf.sub(tf.mod(tf.add(tf.sub(angle, centres), 3 * Math.PI), 2 * Math.PI), Math.PI),
    );
    const oriented = tf.mul(magnitude, tf.relu(tf.sub(1, tf.div(away, Math.PI / 4))));
    // The 4 x 4 cells' means of every orientation at every `step`-th place (channel
    // (4 cy + cx) 8 + o: orientation o averaged over cell (cy, cx)), in three cheap passes
    // rather than one convolution with a 4-cell-square kernel (mostly zeros, its cost grows
    // with the cell's area): every cell's mean at every pixel, then its four neighbours
    // `cell` pixels apart across (channel 8 cx + o), then down. tfjs's strided slices and
    // last-axis concatenations are far slower than its convolutions.
    const cellMeans = tf.avgPool(oriented as tf.Tensor4D, [cell, cell], 1, "valid");
    const span = 3 * cell + 1;
    const across = new Float32Array(span * 8 * 32);
    const down = new Float32Array(span * 32 * 128);
    for (let k = 0; k < 4; k++) {
      for (let o = 0; o < 8; o++) across[(k * cell * 8 + o) * 32 + k * 8 + o] = 1;
      for (let c = 0; c < 32; c++) down[(k * cell * 32 + c) * 128 + k * 32 + c] = 1;
    }
    const rowsOfCells = tf.conv2d(
      cellMeans as tf.Tensor4D,
      tf.tensor4d(across, [1, span, 8, 32]),
      [1, step],
      "valid",
    );
    const raw = tf.conv2d(rowsOfCells, tf.tensor4d(down, [span, 1, 32, 128]), [step, 1], "valid");
    const count = raw.shape[1];
    const rows = tf.reshape(raw, [face.shape[0], count * count, 128]);
    const unit = tf.div(rows, tf.add(tf.sqrt(tf.sum(tf.square(rows), 2, true)), 1e-6));
    const clipped = tf.minimum(unit, 0.2);
    return tf.sqrt(tf.div(clipped, tf.add(tf.sum(clipped, 2, true), 1e-6))) as tf.Tensor3D;
  });
}

/**
 * The local descriptors `sift` [batch, places, 128] at `positions` [places, 2] as the mixture's
 * inputs [batch, places, components + 2]: PCA-reduced SIFT, then x and y.
 */
export function encoderInputs(
  sift: tf.Tensor3D,
  positions: tf.Tensor2D,
  encoder: Pick<FisherEncoder, "siftMean" | "siftBasis">,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, places] = sift.shape;
    const components = encoder.siftBasis.shape[1] as number;
    // [reduced, x, y] as a product with the basis widened by two zero columns plus the
    // positions widened by `components` zero columns (no concatenation: slow in tfjs).
    const reduced = tf.matMul(
      tf.sub(tf.reshape(sift, [batch * places, 128]), encoder.siftMean),
      tf.pad(encoder.siftBasis as tf.Tensor2D, [[0, 0], [0, 2]]),
    );
    const at = tf.pad(positions, [[0, 0], [components, 0]]);
    return tf.add(tf.reshape(reduced, [batch, places, components + 2]), at) as tf.Tensor3D;
  });
}

/**
 * The mixture's inputs `x` [rows, dims] widened to [rows, 2 dims + 1]: [x², x, 1]. One matrix
 * product of these with {@linkcode logLikelihoodWeights} gives every Gaussian's log-likelihood,
 * and one with the posteriors every Gaussian's second, first and zeroth moments: two products on
 * OpenBLAS instead of a dozen element-wise passes over [rows, gaussians] (3-4x faster for 512
 * Gaussians).
 */
export function withSquares(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([tf.square(x), x, tf.ones([x.shape[0], 1])], 1) as tf.Tensor2D);
}

/**
 * The diagonal Gaussians' log-likelihoods (less the shared constant) as weights
 * [2 dims + 1, gaussians] of {@linkcode withSquares}'s rows: log w_k - 0.5 sum_d (log var_kd +
 * (x_d - mu_kd)^2 / var_kd), expanded into x_d^2 (-0.5 / var_kd) + x_d (mu_kd / var_kd) + a
 * constant per Gaussian.
 */
export function logLikelihoodWeights(
  mixture: Pick<FisherEncoder, "means" | "variances" | "weights">,
): tf.Tensor2D {
  return tf.tidy(() => {
    const gaussians = mixture.weights.shape[0] as number;
    const inverse = tf.reciprocal(mixture.variances);
    const constant = tf.sub(
      tf.log(mixture.weights),
      tf.mul(
        0.5,
        tf.add(
          tf.sum(tf.log(mixture.variances), 1),
          tf.sum(tf.mul(tf.square(mixture.means), inverse), 1),
        ),
      ),
    );
    return tf.transpose(
      tf.concat([
        tf.mul(-0.5, inverse),
        tf.mul(mixture.means, inverse),
        tf.reshape(constant, [gaussians, 1]),
      ], 1),
    ) as tf.Tensor2D;
  });
}

/**
 * Posterior probabilities [rows, gaussians] of the mixture's Gaussians for the rows of
 * {@linkcode withSquares} `inputs` [rows, 2 dims + 1], given `weights` =
 * {@linkcode logLikelihoodWeights} (a softmax of the log-likelihoods).
 */
export function mixturePosteriors(inputs: tf.Tensor2D, weights: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(tf.matMul(inputs, weights)) as tf.Tensor2D);
}

/**
 * The parts of moments summed over {@linkcode withSquares}'s rows, `sums` [..., 2 dims + 1]
 * (posteriors x rows): the `second` moments [..., dims] (of the squared rows), the `first`
 * [..., dims] and the `mass` [..., 1] (the posteriors' sum), split along the last axis. The
 * Fisher vectors and the encoder's expectation step both read their moments through it.
 */
export function splitMoments(
  sums: tf.Tensor,
): { second: tf.Tensor; first: tf.Tensor; mass: tf.Tensor } {
  const width = sums.shape[sums.rank - 1];
  if (width % 2 !== 1) {
    throw new RangeError(`splitMoments: last axis of ${width} is not 2 dims + 1`);
  }
  const dims = (width - 1) / 2;
  const [second, first, mass] = tf.split(sums, [dims, dims, 1], sums.rank - 1);
  return { second, first, mass };
}

/** The sums over rows of a mixture's posteriors and their products with the rows. */
export interface MixtureMoments {
  /** Sum of posterior x squared row [..., gaussians, dims]. */
  second: tf.Tensor;
  /** Sum of posterior x row [..., gaussians, dims]. */
  first: tf.Tensor;
  /** Sum of posteriors [..., gaussians, 1]. */
  mass: tf.Tensor;
}

/**
 * Each batch item's {@linkcode MixtureMoments} over its rows `x` [batch, rows, dims], for the
 * mixture whose {@linkcode logLikelihoodWeights} are `weights` [2 dims + 1, gaussians], by the
 * `MIXTURE_MOMENTS_KERNEL` where the backend has one (the native library's works through the rows
 * in blocks, never holding a batch's [rows, gaussians] posteriors).
 */
export function mixtureMoments(x: tf.Tensor3D, weights: tf.Tensor2D): MixtureMoments {
  if (tf.getKernel(MIXTURE_MOMENTS_KERNEL, tf.getBackend())) {
    const [second, first, mass] = tf.engine().runKernel(
      MIXTURE_MOMENTS_KERNEL,
      { x, weights },
      {},
    ) as tf.Tensor[];
    return { second, first, mass };
  }
  return mixtureMomentsOps(x, weights);
}

/** {@linkcode mixtureMoments} as tfjs operations. */
export function mixtureMomentsOps(x: tf.Tensor3D, weights: tf.Tensor2D): MixtureMoments {
  return tf.tidy(() => {
    const [batch, rows, dims] = x.shape;
    const gaussians = weights.shape[1];
    const inputs = withSquares(tf.reshape(x, [batch * rows, dims]));
    const posteriors = tf.reshape(mixturePosteriors(inputs, weights), [batch, rows, gaussians]);
    const sums = tf.matMul(
      posteriors,
      tf.reshape(inputs, [batch, rows, 2 * dims + 1]),
      true,
      false,
    );
    return splitMoments(sums) as unknown as tf.TensorContainer;
  }) as unknown as MixtureMoments;
}

/**
 * Improved Fisher vectors [batch, 2 x gaussians x dims] of faces [batch, size, size, 1]: for each
 * Gaussian k, the gradient of the descriptors' log-likelihood with respect to its mean
 * (sum_t g_tk (x_t - mu_k) / sigma_k, divided by places x sqrt(w_k)) and its deviation
 * (sum_t g_tk ((x_t - mu_k)^2 / sigma_k^2 - 1), divided by places x sqrt(2 w_k)); then the
 * signed square root of every value, and unit length.
 *
 * At most 32 faces are encoded at once: a face's posteriors (places x gaussians, 720,000 values
 * for 100x100 faces) would otherwise outgrow the wasm backend's 4 GB in an evaluation's batch of
 * 512 faces. Each face's values do not depend on the others in its batch.
 */
export function fisherVectors(
  images: tf.Tensor4D,
  encoder: FisherEncoder,
  options: DenseSiftOptions,
): tf.Tensor2D {
  const most = 32;
  const total = images.shape[0];
  if (total > most) {
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      for (let start = 0; start < total; start += most) {
        const count = Math.min(most, total - start);
        parts.push(
          fisherVectors(tf.slice(images, [start, 0, 0, 0], [count, -1, -1, -1]), encoder, options),
        );
      }
      return tf.concat(parts, 0) as tf.Tensor2D;
    });
  }
  return tf.tidy(() => {
    const gaussians = encoder.weights.shape[0] as number;
    const weights = logLikelihoodWeights(encoder);
    // Each Gaussian's second, first and zeroth moments of the descriptors it explains
    // [batch, gaussians, dims] ([..., 1] for the zeroth), summed over the scales.
    let s2: tf.Tensor | undefined, s1: tf.Tensor | undefined, s0: tf.Tensor | undefined;
    let places = 0;
    for (const part of localDescriptors(images, options)) {
      const moments = mixtureMoments(encoderInputs(part.sift, part.positions, encoder), weights);
      s2 = s2 ? tf.add(s2, moments.second) : moments.second;
      s1 = s1 ? tf.add(s1, moments.first) : moments.first;
      s0 = s0 ? tf.add(s0, moments.mass) : moments.mass;
      places += part.positions.shape[0];
    }
    if (!s2 || !s1 || !s0) throw new Error("fisherVectors: no scales");
    const batch = images.shape[0];
    const mu = encoder.means, variance = encoder.variances;
    const sqrtWeights = tf.reshape(tf.sqrt(encoder.weights), [gaussians, 1]);
    const meanPart = tf.div(
      tf.div(tf.sub(s1, tf.mul(s0, mu)), tf.sqrt(variance)),
      tf.mul(places, sqrtWeights),
    );
    const deviationPart = tf.div(
      tf.sub(
        tf.div(tf.add(tf.sub(s2, tf.mul(2, tf.mul(s1, mu))), tf.mul(s0, tf.square(mu))), variance),
        s0,
      ),
      tf.mul(places * Math.SQRT2, sqrtWeights),
    );
    const fisher = tf.concat(
      [tf.reshape(meanPart, [batch, -1]), tf.reshape(deviationPart, [batch, -1])],
      1,
    );
    const rooted = tf.mul(tf.sign(fisher), tf.sqrt(tf.abs(fisher)));
    return tf.div(
      rooted,
      tf.add(tf.sqrt(tf.sum(tf.square(rooted), 1, true)), 1e-12),
    ) as tf.Tensor2D;
  });
}

/**
 * Fisher vectors of dense SIFT of [batch, size, size, 1] faces (`fisher_vectors.ts`); its
 * weights are the fitted encoder: SIFT mean [128] and PCA basis [128, components], the
 * Gaussians' means and variances [gaussians, components + 2] and weights [gaussians].
 */
export class FisherVectors extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "FisherVectors";
  readonly cell: number;
  readonly step: number;
  readonly scales: number[];
  readonly components: number;
  readonly gaussians: number;
  encoder: tf.LayerVariable[] = [];

  constructor(
    config: {
      cell: number;
      step: number;
      scales: number[];
      components: number;
      gaussians: number;
      name?: string;
    },
  ) {
    super(config);
    this.cell = config.cell;
    this.step = config.step;
    this.scales = config.scales;
    this.components = config.components;
    this.gaussians = config.gaussians;
  }

  override build(): void {
    const k = this.components, g = this.gaussians;
    const shapes: [string, number[]][] = [
      ["sift_mean", [128]],
      ["sift_basis", [128, k]],
      ["means", [g, k + 2]],
      ["variances", [g, k + 2]],
      ["weights", [g]],
    ];
    this.encoder = shapes.map(([name, shape]) =>
      this.addWeight(name, shape, "float32", tf.initializers.ones())
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], 2 * this.gaussians * (this.components + 2)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const [siftMean, siftBasis, means, variances, weights] = this.encoder.map((v) => v.read());
    return fisherVectors(x, { siftMean, siftBasis, means, variances, weights }, this);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { cell, step, scales, components, gaussians } = this;
    return { ...super.getConfig(), cell, step, scales, components, gaussians };
  }
}
