/**
 * The layers the networks and ensembles need that tfjs lacks (it has no Lambda layer), for the
 * layers-format export: {@linkcode AbsDifference} (the seed's |left - right| merge),
 * {@linkcode ScaledCosine} (the cosine verification of identity models),
 * {@linkcode L2Normalize} (unit embeddings before a learnt projection),
 * {@linkcode WeightedUnitConcat} (an ensemble's embedding), {@linkcode ColumnSlice} and
 * {@linkcode WeightedLogitSum} (an ensemble's logit from its members' heads). The descriptors'
 * layers live with their descriptors (`fisher_vectors.ts`, `lbp_histograms.ts`,
 * `gabor_magnitudes.ts`, `joint_bayesian.ts`), so that a model's code is its own; the one list of
 * every custom layer is `custom_layers.ts`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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
