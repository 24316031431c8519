/**
 * A model's parameters as tfjs variables, with initialisation and conversion to and from plain
 * arrays (for checkpoints).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../util/rng.ts";
import { orthogonalMatrix } from "./orthogonal.ts";
import type { SiameseModel } from "./siamese_model.ts";

/** Parameter values by name. */
export type ParamArrays = Map<string, Float32Array>;

/** Draws initial values for every parameter of `model`, in the model's parameter order. */
export function initialParamArrays(model: SiameseModel, rng: Rng): ParamArrays {
  const out: ParamArrays = new Map();
  for (const p of model.params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (p.init === "orthogonal") {
      const cols = p.shape[p.shape.length - 1];
      out.set(p.name, orthogonalMatrix([size / cols, cols], rng));
    } else {
      out.set(p.name, new Float32Array(size).fill(p.init === "ones" ? 1 : 0));
    }
  }
  return out;
}

/** The live parameters of a model. */
export class ModelParams {
  /** The model these parameters belong to. */
  readonly model: SiameseModel;
  readonly #vars = new Map<string, tf.Variable>();

  /** Creates variables holding `values` (which must cover every parameter with the right size). */
  constructor(model: SiameseModel, values: ParamArrays) {
    this.model = model;
    for (const p of model.params) {
      const v = values.get(p.name);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (!v || v.length !== size) {
        throw new Error(`parameter ${p.name}: expected ${size} values, got ${v?.length ?? "none"}`);
      }
      // tidy frees the initial tensor; the variable keeps its data.
      this.#vars.set(p.name, tf.tidy(() => tf.variable(tf.tensor(v, p.shape), p.trainable)));
    }
  }

  /** Every parameter as a tensor, by name (for the model's forward pass). */
  tensors(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.#vars);
  }

  /** The variable of one parameter. */
  variable(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** Trainable variables by name, in model order. */
  trainable(): Map<string, tf.Variable> {
    return new Map(
      this.model.params.filter((p) => p.trainable).map((p) => [p.name, this.#vars.get(p.name)!]),
    );
  }

  /**
   * A copy of every value, in model order, read synchronously (not on WebGPU, which reads only
   * asynchronously in Deno: use {@linkcode ModelParams.readArrays} there).
   */
  toArrays(): ParamArrays {
    return new Map(
      this.model.params.map((p) => [p.name, this.#vars.get(p.name)!.dataSync() as Float32Array]),
    );
  }

  /** {@linkcode ModelParams.toArrays} read asynchronously: the same values, on every backend. */
  async readArrays(): Promise<ParamArrays> {
    const names = this.model.params.map((p) => p.name);
    const values = await Promise.all(names.map((name) => this.#vars.get(name)!.data()));
    return new Map(names.map((name, i) => [name, values[i] as Float32Array]));
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
  }
}
