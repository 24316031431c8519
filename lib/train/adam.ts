/**
 * The Adam optimiser (Kingma & Ba 2015) with its whole state exposed, so a checkpoint can save
 * and restore it exactly.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type AdamStepConstants, nativeAdamStep } from "../backend/native_kernels.ts";
import { ADAM_DEFAULTS } from "../config/defaults.ts";

/** Adam's hyper-parameters. */
export interface AdamParams {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter 2019): before each step, weight matrices
   * and convolution kernels (rank >= 2; not biases or batch-norm scales) shrink by
   * learning rate x this. 0 (the default) is plain Adam.
   */
  weightDecay: number;
}

/** The defaults (Keras'), kept with every other default in `lib/config/defaults.ts`. */
export { ADAM_DEFAULTS };

/** Saved optimiser state: the step count and the moment estimates by parameter name. */
export interface AdamState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/** Adam over named variables. */
export class Adam {
  /** Hyper-parameters. */
  readonly params: AdamParams;
  #step = 0;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();

  /** An optimiser with no history. */
  constructor(params: AdamParams = ADAM_DEFAULTS) {
    this.params = params;
  }

  /**
   * Updates each variable with its gradient (names must match between the two maps), with the
   * learning rate times `learningRateScale` (a schedule's factor for this step).
   */
  apply(
    variables: Map<string, tf.Variable>,
    grads: Record<string, tf.Tensor> | Map<string, tf.Tensor>,
    learningRateScale = 1,
  ): void {
    this.#step++;
    const { beta1, beta2, epsilon } = this.params;
    const learningRate = this.params.learningRate * learningRateScale;
    const lr = learningRate * Math.sqrt(1 - beta2 ** this.#step) / (1 - beta1 ** this.#step);
    const gradOf = (name: string) => (grads instanceof Map ? grads.get(name) : grads[name]);
    const constants: AdamStepConstants = {
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      learningRate: lr,
      epsilon,
    };
    const decay = 1 - learningRate * (this.params.weightDecay ?? 0);
    tf.tidy(() => {
      for (const [name, variable] of variables) {
        const g = gradOf(name);
        if (!g) throw new Error(`Adam: no gradient for ${name}`);
        if (decay !== 1 && variable.rank >= 2) variable.assign(tf.mul(variable, decay));
        let m = this.#m.get(name), v = this.#v.get(name);
        if (!m || !v) {
          // Nested tidies free the zeros at once: the native step only writes memory that no
          // other tensor shares.
          m = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
          v = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
          this.#m.set(name, m);
          this.#v.set(name, v);
        }
        // The native step computes exactly the lines below, in place and in one pass.
        if (nativeAdamStep({ variable, m, v, gradient: g }, constants)) continue;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        variable.assign(tf.sub(variable, tf.div(tf.mul(m1, lr), tf.add(tf.sqrt(v1), epsilon))));
      }
    });
  }

  /** A copy of the state, read synchronously (not on WebGPU: use {@linkcode Adam.readState}). */
  state(): AdamState {
    const read = (map: Map<string, tf.Variable>) =>
      new Map([...map].map(([k, t]) => [k, t.dataSync() as Float32Array]));
    return { step: this.#step, m: read(this.#m), v: read(this.#v) };
  }

  /** {@linkcode Adam.state} read asynchronously: the same values, on every backend. */
  async readState(): Promise<AdamState> {
    const step = this.#step;
    const read = async (map: Map<string, tf.Variable>) => {
      const entries = [...map];
      const values = await Promise.all(entries.map(([, t]) => t.data()));
      return new Map(entries.map(([k], i) => [k, values[i] as Float32Array]));
    };
    return { step, m: await read(this.#m), v: await read(this.#v) };
  }

  /** Restores a state saved by {@linkcode Adam.state}. */
  load(state: AdamState, shapes: Map<string, number[]>): void {
    this.dispose();
    this.#step = state.step;
    for (const [name, values] of state.m) {
      const shape = shapes.get(name);
      const v = state.v.get(name);
      if (!shape || !v) throw new Error(`Adam state: unknown or incomplete slot ${name}`);
      this.#m.set(name, tf.tidy(() => tf.variable(tf.tensor(values, shape), false)));
      this.#v.set(name, tf.tidy(() => tf.variable(tf.tensor(v, shape), false)));
    }
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}
