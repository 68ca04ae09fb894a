/**
 * A seeded random stream (xoshiro128**, seeded by splitmix32), with named child streams.
 *
 * Every random choice in perturb draws from an `Rng` handed down from the run's seed, never
 * from a global generator, so the same seed gives the same numbers on the same backend. Tensors
 * are filled on the host, which also makes them identical across backends.
 */
import * as tf from '@tensorflow/tfjs-core';

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a, to turn a child stream's name into seed material. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The serializable position of an `Rng`, for checkpoints and exact resume. */
export interface RngState {
  readonly seed: number;
  readonly s: readonly [number, number, number, number];
  readonly spareNormal: number | null;
}

/**
 * A seeded random stream (xoshiro128**): uniform, integer, normal and Bernoulli draws,
 * permutations, host-filled tensors, and independent named child streams.
 */
export class Rng {
  private s: Uint32Array;
  private spareNormal: number | null = null;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(readonly seed: number) {
    const next = splitmix32(seed);
    this.s = new Uint32Array([next(), next(), next(), next()]);
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /**
   * An independent stream derived from this one's seed and `name` (not from its position), so
   * adding draws to one component never shifts another's numbers.
   */
  child(name: string): Rng {
    return new Rng((Math.imul(this.seed ^ 0x5bd1e995, 0x27d4eb2d) ^ hashString(name)) >>> 0);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    this.shuffle(out);
    return out;
  }

  /** Shuffles `items` in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A float32 tensor of uniform values in [low, high). */
  uniformTensor(shape: number[], low = 0, high = 1): tf.Tensor {
    const values = new Float32Array(sizeOf(shape));
    for (let i = 0; i < values.length; i++) values[i] = this.uniform(low, high);
    return tf.tensor(values, shape, 'float32');
  }

  /** A float32 tensor of normal values with the given mean and standard deviation. */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    const values = new Float32Array(sizeOf(shape));
    for (let i = 0; i < values.length; i++) values[i] = mean + std * this.normal();
    return tf.tensor(values, shape, 'float32');
  }

  /** The stream's current position, to save in a checkpoint. */
  getState(): RngState {
    return {
      seed: this.seed,
      s: [this.s[0], this.s[1], this.s[2], this.s[3]],
      spareNormal: this.spareNormal,
    };
  }

  /**
   * Moves the stream to a position from {@link Rng.getState}. The seed stays this stream's own,
   * so child streams are unchanged: restore a state into an `Rng` built with the same seed.
   */
  setState(state: RngState): void {
    this.s = Uint32Array.from(state.s);
    this.spareNormal = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
