/**
 * `VaeGan`: the generative model of LA-VAE-GAN (Stutz, Hein & Schiele, CVPR 2019). An encoder to
 * a diagonal Gaussian q(z|x), a decoder back to images, and a discriminator that sharpens the
 * decoder; plus the per-dimension range of the training codes, which bounds the latent attack.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng, check } from '@perturb/core';
import type { ReconstructionKind } from './losses';
import { Decoder, Discriminator, Encoder } from './networks';
import { VAEGAN_PRESETS } from './presets';

/**
 * Stutz et al.'s reconstruction weights β (the KL term has weight 1): 2.75 for the
 * class-specific models, 3 for the class-agnostic one.
 */
export const STUTZ_BETA = { classSpecific: 2.75, classAgnostic: 3 } as const;

/** The architecture and loss weights of a `VaeGan`: everything needed to rebuild it from a checkpoint. */
export interface VaeGanConfig {
  /** Image [height, width, channels], e.g. [28, 28, 1] or [32, 32, 3]; sides divisible by 2^widths.length. */
  imageShape: [number, number, number];
  /** Size of the latent code. Default 10 (Stutz et al.). */
  latentSize: number;
  /** Channels of each stride-2 stage of the encoder and discriminator (reversed in the decoder). Default [64, 128] (the `stutz` preset). */
  widths: number[];
  /**
   * Weight β of the reconstruction term in the encoder's and the decoder's loss (the KL term
   * has weight 1). Default 2.75 (`STUTZ_BETA.classSpecific`); use 3 for a class-agnostic model.
   */
  beta: number;
  /** Weight γ of the GAN terms: the encoder's and decoder's fooling term and the discriminator's loss. Default 1. */
  gamma: number;
  /** Absolute (L1) or squared (L2) reconstruction error. Default `'absolute'` (the `stutz` preset). */
  reconstruction: ReconstructionKind;
  /**
   * BatchNorm after every hidden convolution of the three networks, as Stutz et al.'s. Default
   * true (the `stutz` preset); checkpoints written before this setting existed have none.
   */
  batchNorm: boolean;
}

/** Options of the `VaeGan` constructor: `imageShape` is required, the rest default as in {@link VaeGanConfig}. */
export interface VaeGanOptions extends Partial<VaeGanConfig> {
  imageShape: [number, number, number];
  /** Draws the initial weights. Default `new Rng(0)`. */
  rng?: Rng;
}

/** Fills in and validates a `VaeGan`'s configuration. */
export function resolveVaeGanConfig(options: VaeGanOptions): VaeGanConfig {
  const {
    imageShape,
    latentSize = 10,
    widths = [...VAEGAN_PRESETS.stutz.widths],
    beta = STUTZ_BETA.classSpecific,
    gamma = 1,
    reconstruction = VAEGAN_PRESETS.stutz.reconstruction,
    batchNorm = VAEGAN_PRESETS.stutz.batchNorm,
  } = options;
  check(
    Array.isArray(widths) && widths.length > 0 && widths.every((w) => Number.isInteger(w) && w > 0),
    `VaeGan widths ${JSON.stringify(widths)} are invalid`,
    'pass a non-empty list of positive channel counts, e.g. [32, 64]',
  );
  const factor = 2 ** widths.length;
  check(
    Array.isArray(imageShape) &&
      imageShape.length === 3 &&
      imageShape.every((s) => Number.isInteger(s) && s > 0),
    `VaeGan imageShape ${JSON.stringify(imageShape)} is invalid`,
    'pass [height, width, channels], e.g. [28, 28, 1]',
  );
  check(
    imageShape[0] % factor === 0 && imageShape[1] % factor === 0,
    `VaeGan image sides ${imageShape[0]}×${imageShape[1]} are not divisible by 2^${widths.length} = ${factor} (one halving per width)`,
    'use fewer widths, or pad the images (e.g. 28 → 32)',
  );
  check(
    Number.isInteger(latentSize) && latentSize > 0,
    `VaeGan latentSize ${latentSize} is invalid`,
    'pass a positive integer, e.g. 10',
  );
  for (const [name, value] of [
    ['beta', beta],
    ['gamma', gamma],
  ] as const) {
    check(
      Number.isFinite(value) && value >= 0,
      `VaeGan ${name} ${value} is invalid`,
      'pass a finite number ≥ 0',
    );
  }
  check(
    reconstruction === 'absolute' || reconstruction === 'squared',
    `VaeGan reconstruction ${JSON.stringify(reconstruction)} is invalid`,
    'pass "absolute" or "squared"',
  );
  check(
    typeof batchNorm === 'boolean',
    `VaeGan batchNorm ${JSON.stringify(batchNorm)} is invalid`,
    'pass true or false',
  );
  return {
    imageShape: [...imageShape],
    latentSize,
    widths: [...widths],
    beta,
    gamma,
    reconstruction,
    batchNorm,
  };
}

/**
 * A VAE-GAN (Larsen et al. 2016, as used by Stutz et al. 2019). Parameter groups `encoder`,
 * `decoder` and `discriminator` are trained by separate optimizers (`trainVaeGan`); the buffers
 * `codeMin`/`codeMax` hold the range of the training codes (±∞ until `setCodeRange`).
 */
export class VaeGan extends Module {
  readonly config: VaeGanConfig;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly discriminator: Discriminator;
  private readonly codeMin: tf.Variable;
  private readonly codeMax: tf.Variable;

  constructor(options: VaeGanOptions) {
    super();
    this.config = resolveVaeGanConfig(options);
    const rng = options.rng ?? new Rng(0);
    this.encoder = this.addModule('encoder', new Encoder(rng.child('encoder'), this.config));
    this.decoder = this.addModule('decoder', new Decoder(rng.child('decoder'), this.config));
    this.discriminator = this.addModule(
      'discriminator',
      new Discriminator(rng.child('discriminator'), this.config),
    );
    this.codeMin = this.addBuffer('codeMin', tf.fill([this.config.latentSize], -Infinity));
    this.codeMax = this.addBuffer('codeMax', tf.fill([this.config.latentSize], Infinity));
  }

  get latentSize(): number {
    return this.config.latentSize;
  }

  /** Mean and log-variance of q(z|x), each [N, latentSize]. */
  encode(x: tf.Tensor4D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    return this.encoder.forward(x);
  }

  /** Images in (0, 1) for codes `z` [N, latentSize]. */
  decode(z: tf.Tensor2D): tf.Tensor4D {
    return this.decoder.forward(z);
  }

  /** The deterministic reconstruction decode(mean of q(z|x)). */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.decode(this.encode(x).mean));
  }

  /** `n` images decoded from z ~ N(0, I) drawn from `rng`. */
  sample(n: number, rng: Rng): tf.Tensor4D {
    return tf.tidy(() => this.decode(rng.normalTensor([n, this.latentSize]) as tf.Tensor2D));
  }

  /** Logits of "real" from the discriminator, [N]. */
  discriminate(x: tf.Tensor4D): tf.Tensor1D {
    return this.discriminator.forward(x);
  }

  /** Codes clipped per dimension to the range of the training codes (unchanged before `setCodeRange`). */
  clipToCodeRange(z: tf.Tensor2D): tf.Tensor2D {
    return tf.minimum(tf.maximum(z, this.codeMin), this.codeMax);
  }

  /** The stored per-dimension [min, max] of the training codes, as host arrays. */
  codeRange(): { min: Float32Array; max: Float32Array } {
    return { min: this.codeMin.dataSync() as Float32Array, max: this.codeMax.dataSync() as Float32Array };
  }

  /** Stores the per-dimension range of the training codes (see `computeCodeRange`). */
  setCodeRange(min: ArrayLike<number>, max: ArrayLike<number>): void {
    check(
      min.length === this.latentSize && max.length === this.latentSize,
      `a code range needs ${this.latentSize} values per bound, got ${min.length} and ${max.length}`,
      'compute it with computeCodeRange on this model',
    );
    tf.tidy(() => {
      this.codeMin.assign(tf.tensor1d(Array.from(min)));
      this.codeMax.assign(tf.tensor1d(Array.from(max)));
    });
  }
}
