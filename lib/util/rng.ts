/**
 * A small, fast, seedable random generator whose whole state can be saved in a checkpoint
 * and restored, so that resumed runs draw exactly the numbers an uninterrupted run would.
 * @module
 */

/** The serialisable state of an {@linkcode Rng}: four 32-bit words. */
export type RngState = [number, number, number, number];

/** SFC32 ("small fast chaotic") generator: 128 bits of state, passes PractRand to 2^40+. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds from an integer (any JS number is folded into 32 bits) or restores a state. */
  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      [this.#a, this.#b, this.#c, this.#d] = seed.map((x) => x >>> 0);
    } else {
      // SplitMix32 spreads a small seed over the whole state; 12 warm-up draws decorrelate it.
      let s = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
      const next = () => {
        s = (s + 0x9e3779b9) >>> 0;
        let z = s;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.#a = next();
      this.#b = next();
      this.#c = next();
      this.#d = next();
      for (let i = 0; i < 12; i++) this.nextUint32();
    }
  }

  /**
   * A generator for one stream of a run, derived from the run's seed and labels such as
   * (epoch, batch, stream id): every stream is reproducible on its own, so a resumed run
   * needs only the seed and the position, not a saved state.
   */
  static derive(seed: number, ...labels: number[]): Rng {
    let h = (Math.trunc(seed) ^ 0x5bd1e995) >>> 0;
    const state: number[] = [];
    for (const word of [...labels, labels.length, 0x27d4eb2f, 0x165667b1, 0x9e3779b9, 0x85ebca77]) {
      h = Math.imul(h ^ (word >>> 0), 0xcc9e2d51) >>> 0;
      h = ((h << 15) | (h >>> 17)) >>> 0;
      h = (Math.imul(h, 0x1b873593) + 0xe6546b64) >>> 0;
      h ^= h >>> 16;
      state.push(h);
    }
    const rng = new Rng(state.slice(-4) as RngState);
    for (let i = 0; i < 8; i++) rng.nextUint32();
    return rng;
  }

  /** The current state; `new Rng(rng.state())` continues the same sequence. */
  state(): RngState {
    return [this.#a, this.#b, this.#c, this.#d];
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A uniform float in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** A uniform integer in [0, n), without modulo bias. `n` must be in 1..2^32. */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 4294967296) || !Number.isInteger(n)) {
      throw new RangeError(`Rng.nextInt: bad bound ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return x % n;
  }

  /**
   * A standard normal deviate (Box-Muller). The second deviate of each pair is discarded so
   * that the state alone determines every future draw.
   */
  normal(): number {
    const u = 1 - this.nextFloat(); // (0, 1]: log(0) never happens
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}
