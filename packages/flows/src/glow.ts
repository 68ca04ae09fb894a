/** Glow (Kingma & Dhariwal 2018): a multi-scale normalizing flow for images. */
import * as tf from '@tensorflow/tfjs-core';
import { Module, PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { ActNorm } from './actnorm';
import { AdditiveCoupling, AffineCoupling } from './coupling';
import type { ScaleForm } from './coupling';
import { Sequential, sumLogdets } from './flow-layer';
import type { FlowLayer } from './flow-layer';
import { InvConv1x1, InvConv1x1LU } from './invconv';
import { SplitPrior, TopPrior, gaussianLogProb, gaussianSample } from './priors';
import type { PriorKind } from './priors';
import { Squeeze } from './squeeze';
import { dequantize } from './dequantize';

/** Options of `Glow`. */
export interface GlowOptions {
  /** Image shape [H, W, C]; H and W must be divisible by 2^levels. */
  inputShape: readonly [number, number, number];
  /** Levels L (each: squeeze → K steps → split). Default 3. */
  levels?: number;
  /** Flow steps K per level (each: ActNorm → 1×1 conv → coupling). Default 32. */
  steps?: number;
  /** Hidden channels of the coupling networks. Default 512. */
  hidden?: number;
  /** `'affine'` or `'additive'` coupling. Default `'affine'`. */
  coupling?: 'affine' | 'additive';
  /** Scale of the affine coupling, see `AffineCouplingOptions`. Default `'sigmoid'`. */
  scaleForm?: ScaleForm;
  /** `'lu'` (`InvConv1x1LU`, fast to train) or `'plain'` (`InvConv1x1`). Default `'lu'`. */
  invConv?: 'lu' | 'plain';
  /**
   * Prior of the latents split off at each level: `'learned'` (a Gaussian whose parameters a
   * zero-initialized conv computes from the kept half) or `'standard'` (N(0, I), as flow-lp).
   * Default `'learned'`.
   */
  splitPrior?: PriorKind;
  /** Prior of the top latent: `'learned'` (learn-top) or `'standard'`. Default `'learned'`. */
  topPrior?: PriorKind;
  /** Classes of a class-conditional top prior; 0 for none. Default 0. */
  numClasses?: number;
  /** Bits per pixel channel of the data, for dequantization and bits/dim. Default 8. */
  nBits?: number;
  /** Draws the initial weights (from named child streams, so `new Rng(config.seed)` recreates them). */
  rng: Rng;
}

/** The complete, serializable configuration of a `Glow` (its options with defaults, and the seed). */
export type GlowConfig = Required<Omit<GlowOptions, 'rng'>> & { seed: number };

/** What `Glow.encode` returns. */
export interface GlowEncoding {
  /** One latent per level, NHWC: the halves split off at levels 1…L−1, then the top latent. */
  latents: tf.Tensor4D[];
  /** log|det ∂z/∂x| of the whole flow, per sample [N]. */
  logdet: tf.Tensor1D;
}

/** Options of the density methods. */
export interface DensityOptions {
  /** One-hot labels [N, numClasses]; required if the model is class-conditional. */
  labels?: tf.Tensor2D;
}

/** Options of `Glow.sample`. */
export interface SampleOptions extends DensityOptions {
  /** Draws the Gaussian noise. */
  rng: Rng;
  /** Scales the prior's standard deviation; below 1 gives smoother, more typical samples. Default 1. */
  temperature?: number;
}

function resolveConfig(options: GlowOptions): GlowConfig {
  return {
    inputShape: [...options.inputShape] as [number, number, number],
    levels: options.levels ?? 3,
    steps: options.steps ?? 32,
    hidden: options.hidden ?? 512,
    coupling: options.coupling ?? 'affine',
    scaleForm: options.scaleForm ?? 'sigmoid',
    invConv: options.invConv ?? 'lu',
    splitPrior: options.splitPrior ?? 'learned',
    topPrior: options.topPrior ?? 'learned',
    numClasses: options.numClasses ?? 0,
    nBits: options.nBits ?? 8,
    seed: options.rng.seed,
  };
}

function validate(config: GlowConfig): void {
  const [h, w, c] = config.inputShape;
  const block = 2 ** config.levels;
  if (!(config.levels >= 1 && config.steps >= 1 && config.hidden >= 1 && c >= 1)) {
    throw new PerturbError(
      `invalid Glow size (levels ${config.levels}, steps ${config.steps}, hidden ${config.hidden}, channels ${c})`,
      'use levels, steps, hidden and channels of at least 1',
    );
  }
  if (h % block !== 0 || w % block !== 0) {
    throw new PerturbError(
      `a ${h}×${w} image cannot be squeezed ${config.levels} times`,
      `pad or crop the images to a multiple of ${block}, or use fewer levels`,
    );
  }
  if (!(Number.isInteger(config.nBits) && config.nBits >= 1 && config.nBits <= 8)) {
    throw new PerturbError(
      `nBits must be an integer from 1 to 8, got ${config.nBits}`,
      'use nBits 8 for 8-bit images',
    );
  }
}

/**
 * A multi-scale Glow. Public methods take images in [0, 1] (NHWC float32) and work internally
 * on x − 0.5 in [−0.5, 0.5], as the reference implementations do. `decode(encode(x))` gives back x
 * to float32 precision.
 *
 * Every method that returns tensors runs in its own `tf.tidy`: only the returned tensors
 * survive, and the caller disposes them.
 */
export class Glow extends Module {
  readonly config: GlowConfig;
  /** Per level: squeeze then K flow steps. */
  readonly levels: Sequential[] = [];
  /** The split priors of levels 1…L−1. */
  readonly splits: SplitPrior[] = [];
  readonly top: TopPrior;
  /** Number of dimensions D = H·W·C of one image. */
  readonly dims: number;

  constructor(options: GlowOptions) {
    super();
    this.config = resolveConfig(options);
    validate(this.config);
    const { levels, steps, inputShape } = this.config;
    const rng = options.rng;
    let [h, w, c] = inputShape;
    this.dims = h * w * c;
    for (let level = 0; level < levels; level++) {
      [h, w, c] = [h / 2, w / 2, c * 4];
      const layers: FlowLayer[] = [new Squeeze()];
      for (let k = 0; k < steps; k++) layers.push(this.flowStep(rng.child(`level${level}.step${k}`), c));
      this.levels.push(this.addModule(`level${level}`, new Sequential(layers)));
      if (level < levels - 1) {
        this.splits.push(
          this.addModule(
            `split${level}`,
            new SplitPrior(rng.child(`split${level}`), c, this.config.splitPrior),
          ),
        );
        c /= 2;
      }
    }
    this.top = this.addModule('top', new TopPrior([h, w, c], this.config.topPrior, this.config.numClasses));
  }

  private flowStep(rng: Rng, channels: number): Sequential {
    const { hidden, coupling, scaleForm, invConv } = this.config;
    return new Sequential([
      new ActNorm(channels),
      invConv === 'lu'
        ? new InvConv1x1LU(rng.child('invconv'), channels)
        : new InvConv1x1(rng.child('invconv'), channels),
      coupling === 'affine'
        ? new AffineCoupling(rng.child('coupling'), channels, { hidden, scaleForm })
        : new AdditiveCoupling(rng.child('coupling'), channels, { hidden }),
    ]);
  }

  /** The [H, W, C] shape of each latent, in the order of `encode`'s `latents`. */
  latentShapes(): Array<[number, number, number]> {
    const shapes: Array<[number, number, number]> = [];
    let [h, w, c] = this.config.inputShape;
    for (let level = 0; level < this.config.levels; level++) {
      [h, w, c] = [h / 2, w / 2, c * 4];
      if (level < this.config.levels - 1) {
        c /= 2;
        shapes.push([h, w, c]);
      }
    }
    shapes.push([h, w, c]);
    return shapes;
  }

  /** x ∈ [0, 1] → the latents of every level and the flow's logdet. */
  encode(x: tf.Tensor4D): GlowEncoding {
    return tf.tidy(() => {
      const { latents, logdet } = this.flowForward(x);
      return { latents, logdet };
    });
  }

  /** The inverse of `encode`: latents (as `encode` returns them) → images (not clamped to [0, 1]). */
  decode(latents: readonly tf.Tensor4D[]): tf.Tensor4D {
    this.checkLatents(latents);
    return tf.tidy(() => this.flowInverse(latents[latents.length - 1], (level) => latents[level]));
  }

  /**
   * log p(x) in nats per sample [N], the density of continuous images x ∈ [0, 1]^D:
   * log p(z) + Σ logdet. (The shift by 0.5 has unit Jacobian.)
   */
  logProb(x: tf.Tensor4D, options: DensityOptions = {}): tf.Tensor1D {
    return tf.tidy(() => {
      const { latents, kept, logdet } = this.flowForward(x);
      const terms = this.splits.map((split, i) => gaussianLogProb(latents[i], split.distribution(kept[i])));
      terms.push(gaussianLogProb(latents[latents.length - 1], this.top.distribution(options.labels)));
      terms.push(logdet);
      return sumLogdets(terms, x.shape[0]);
    });
  }

  /**
   * Mean bits per dimension of the discrete images x over the batch, the training loss:
   * −(log p(x̃) − D·log n_bins) / (D·ln 2) with x̃ = `dequantize(x)`. With `rng`, x̃ adds uniform
   * noise within each bin (the unbiased estimate used for training and test figures); without, x̃
   * is each bin's center (deterministic).
   */
  bitsPerDim(x: tf.Tensor4D, options: DensityOptions & { rng?: Rng } = {}): tf.Scalar {
    return tf.tidy(() => {
      const xDequantized = dequantize(x, { nBits: this.config.nBits, rng: options.rng });
      const logProb = this.logProb(xDequantized, options);
      const logProbDiscrete = tf.sub(logProb, this.dims * this.config.nBits * Math.LN2);
      return tf.div(tf.mean(logProbDiscrete), -this.dims * Math.LN2) as tf.Scalar;
    });
  }

  /** `n` images drawn from the model (not clamped to [0, 1]). */
  sample(n: number, options: SampleOptions): tf.Tensor4D {
    const temperature = options.temperature ?? 1;
    const shapes = this.latentShapes();
    return tf.tidy(() => {
      const top = gaussianSample(
        [n, ...shapes[shapes.length - 1]],
        this.top.distribution(options.labels),
        temperature,
        options.rng,
      );
      return this.flowInverse(top, (level, kept) =>
        gaussianSample(
          [n, ...shapes[level]],
          this.splits[level].distribution(kept),
          temperature,
          options.rng,
        ),
      );
    });
  }

  /**
   * Data-dependent initialization: runs `x` (a few hundred dequantized training images in
   * [0, 1]) through the flow so that every ActNorm not yet initialized sets itself from its
   * input statistics. Training calls it once before the first step; a loaded model skips it.
   */
  initialize(x: tf.Tensor4D): void {
    tf.tidy(() => {
      this.flowForward(x);
    });
  }

  private flowForward(x: tf.Tensor4D): { latents: tf.Tensor4D[]; kept: tf.Tensor4D[]; logdet: tf.Tensor1D } {
    this.checkImages(x);
    let h: tf.Tensor4D = tf.sub(x, 0.5);
    const latents: tf.Tensor4D[] = [];
    const kept: tf.Tensor4D[] = [];
    const logdets: tf.Tensor1D[] = [];
    this.levels.forEach((level, i) => {
      const out = level.forward(h);
      logdets.push(out.logdet);
      h = out.y;
      if (i < this.splits.length) {
        const halves = this.splits[i].split(h);
        latents.push(halves.z);
        kept.push(halves.kept);
        h = halves.kept;
      }
    });
    latents.push(h);
    return { latents, kept, logdet: sumLogdets(logdets, x.shape[0]) };
  }

  /** From the top latent down: at each split, `latentAt(level, kept)` gives the level's latent. */
  private flowInverse(
    top: tf.Tensor4D,
    latentAt: (level: number, kept: tf.Tensor4D) => tf.Tensor4D,
  ): tf.Tensor4D {
    let h = top;
    for (let level = this.levels.length - 1; level >= 0; level--) {
      if (level < this.splits.length) h = this.splits[level].merge(h, latentAt(level, h));
      h = this.levels[level].inverse(h).x;
    }
    return tf.add(h, 0.5);
  }

  private checkImages(x: tf.Tensor4D): void {
    const [h, w, c] = this.config.inputShape;
    if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
      throw new PerturbError(
        `Glow expects images of shape [N, ${h}, ${w}, ${c}] but got [${x.shape}]`,
        'pass NHWC float32 images in [0, 1] of the shape the model was built for',
      );
    }
  }

  private checkLatents(latents: readonly tf.Tensor4D[]): void {
    const expected = this.latentShapes();
    const ok =
      latents.length === expected.length &&
      latents.every(
        (z, i) =>
          z.rank === 4 &&
          z.shape[0] === latents[0].shape[0] &&
          tf.util.arraysEqual(z.shape.slice(1), expected[i]),
      );
    if (!ok) {
      throw new PerturbError(
        `Glow.decode expects ${expected.length} latents of shapes ${expected.map((s) => `[N,${s}]`).join(' ')} ` +
          `but got ${latents.map((z) => `[${z.shape}]`).join(' ')}`,
        'pass the latents as encode returned them (a perturbation must keep their shapes)',
      );
    }
  }
}
