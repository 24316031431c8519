/**
 * The layers this project's models need that tfjs lacks (it has no Lambda layer), for the
 * layers-format export: {@linkcode AbsDifference} (the seed's |left - right| merge),
 * {@linkcode ScaledCosine} (the cosine verification of identity models) and
 * {@linkcode L2Normalize} (unit embeddings before a learnt projection) and
 * {@linkcode LbpHistograms}, {@linkcode GaborMagnitudes} and {@linkcode FisherVectors} (the
 * descriptor models' descriptors), {@linkcode WeightedUnitConcat} (an ensemble's embedding),
 * {@linkcode JointBayesianScore} (the Joint Bayesian head of the descriptor models) and
 * {@linkcode ColumnSlice} and {@linkcode WeightedLogitSum} (an ensemble's logit from its members'
 * heads). A loader registers them
 * with {@linkcode registerCustomLayers}; the browser page defines the same classes.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { jointBayesianLogits } from "./joint_bayesian.ts";
import { multiScaleLbpHistograms } from "./lbp_histograms.ts";
import { gaborMagnitudes } from "./gabor_magnitudes.ts";
import { fisherVectors } from "./fisher_vectors.ts";

/** |a - b| of two inputs. */
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

/** scale x cos(a, b) of two [batch, d] inputs: [batch, 1]. */
export class ScaledCosine extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "ScaledCosine";
  readonly scale: number;

  constructor(config: { scale: number; name?: string }) {
    super(config);
    this.scale = config.scale;
  }

  override computeOutputShape(inputShape: tf.Shape[]): tf.Shape {
    return [inputShape[0][0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = inputs as tf.Tensor2D[];
      const norm = (x: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12));
      return tf.mul(
        tf.div(tf.sum(tf.mul(a, b), 1, true), tf.mul(norm(a), norm(b))),
        this.scale,
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}

/** Each row of a [batch, d] input divided by its Euclidean norm. */
export class L2Normalize extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "L2Normalize";

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
    });
  }
}

/** Uniform LBP histograms of [batch, size, size, 1] faces (see `lbp_histograms.ts`). */
export class LbpHistograms extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "LbpHistograms";
  readonly radii: number[];
  readonly cell: number;
  /** Scales of the faces (1: as they are; 2: 2x2 blocks averaged); [1] when not given. */
  readonly scales: number[];

  constructor(config: { radii: number[]; cell: number; scales?: number[]; name?: string }) {
    super(config);
    this.radii = config.radii;
    this.cell = config.cell;
    this.scales = config.scales ?? [1];
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const size = inputShape[1] as number;
    let features = 0;
    for (const s of this.scales) {
      const side = Math.floor(size / s);
      for (const r of this.radii) features += Math.floor((side - 2 * r) / this.cell) ** 2 * 59;
    }
    return [inputShape[0], features];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return multiScaleLbpHistograms(x, this.scales, this.radii, this.cell);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), radii: this.radii, cell: this.cell, scales: this.scales };
  }
}

/** Gabor magnitude features of [batch, size, size, 1] faces (`gabor_magnitudes.ts`). */
export class GaborMagnitudes extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "GaborMagnitudes";
  readonly scales: number;
  readonly orientations: number;
  readonly stride: number;
  readonly pool: number;

  constructor(
    config: { scales: number; orientations: number; stride: number; pool: number; name?: string },
  ) {
    super(config);
    this.scales = config.scales;
    this.orientations = config.orientations;
    this.stride = config.stride;
    this.pool = config.pool;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const cells = Math.floor(Math.floor((inputShape[1] as number) / this.stride) / this.pool);
    return [inputShape[0], this.scales * this.orientations * cells * cells];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return gaborMagnitudes(x, this);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { scales, orientations, stride, pool } = this;
    return { ...super.getConfig(), scales, orientations, stride, pool };
  }
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

/**
 * Each of several [batch, d_i] inputs scaled to unit length and multiplied by its weight (one
 * learnt value per input), concatenated: an ensemble's embedding.
 */
export class WeightedUnitConcat extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "WeightedUnitConcat";
  memberWeights: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const count = (inputShape as tf.Shape[]).length;
    this.memberWeights = this.addWeight("weights", [count], "float32", tf.initializers.ones());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    return [shapes[0][0], shapes.reduce((sum, s) => sum + (s[1] as number), 0)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = inputs as tf.Tensor2D[];
      const w = this.memberWeights!.read();
      return tf.concat(
        xs.map((x, i) =>
          tf.mul(
            tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))),
            tf.slice(w, [i], [1]),
          )
        ),
        1,
      );
    });
  }
}

/**
 * Joint Bayesian same-person logits [batch, 1] of two [batch, d] embeddings
 * ({@linkcode jointBayesianLogits}); its weights are A and G [d, d] and the bias [1].
 */
export class JointBayesianScore extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "JointBayesianScore";
  a: tf.LayerVariable | null = null;
  g: tf.LayerVariable | null = null;
  bias: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as tf.Shape[])[0][1] as number;
    this.a = this.addWeight("a", [d, d], "float32", tf.initializers.zeros());
    this.g = this.addWeight("g", [d, d], "float32", tf.initializers.zeros());
    this.bias = this.addWeight("bias", [1], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape[])[0][0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [left, right] = inputs as tf.Tensor2D[];
    return jointBayesianLogits(left, right, {
      a: this.a!.read(),
      g: this.g!.read(),
      bias: this.bias!.read(),
    });
  }
}

/** Columns [begin, begin + size) of a [batch, d] input: one ensemble member's embedding. */
export class ColumnSlice extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "ColumnSlice";
  readonly begin: number;
  readonly size: number;

  constructor(config: { begin: number; size: number; name?: string }) {
    super(config);
    this.begin = config.begin;
    this.size = config.size;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], this.size];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
    return tf.slice(x, [0, this.begin], [-1, this.size]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), begin: this.begin, size: this.size };
  }
}

/**
 * The sum of several [batch, 1] logits, input i times the square of weight i: an ensemble's
 * logit from its members' (the weights are stored as square roots, as the ensemble's embedding
 * uses them).
 */
export class WeightedLogitSum extends tf.layers.Layer {
  /** The name under which the layer is serialised. */
  static className = "WeightedLogitSum";
  memberWeights: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const count = (inputShape as tf.Shape[]).length;
    this.memberWeights = this.addWeight("weights", [count], "float32", tf.initializers.ones());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape[])[0][0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const w = tf.square(this.memberWeights!.read());
      return (inputs as tf.Tensor[])
        .map((z, i) => tf.mul(z, tf.slice(w, [i], [1])))
        .reduce((sum, z) => tf.add(sum, z));
    });
  }
}

let registered = false;

/** Registers the custom layers for (de)serialisation (idempotent). */
export function registerCustomLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(AbsDifference);
  tf.serialization.registerClass(ScaledCosine);
  tf.serialization.registerClass(L2Normalize);
  tf.serialization.registerClass(LbpHistograms);
  tf.serialization.registerClass(GaborMagnitudes);
  tf.serialization.registerClass(FisherVectors);
  tf.serialization.registerClass(WeightedUnitConcat);
  tf.serialization.registerClass(JointBayesianScore);
  tf.serialization.registerClass(ColumnSlice);
  tf.serialization.registerClass(WeightedLogitSum);
  registered = true;
}
