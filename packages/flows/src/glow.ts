/** Glow (Kingma & Dhariwal 2018): a multi-scale normalizing flow for images. */
import * as tf from '@tensorflow/tfjs-core';
import { Module, PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { ActNorm } from './actnorm';
import { AdditiveCoupling, AffineCoupling } from './coupling';
import type { CouplingOptions, ScaleForm } from './coupling';
import { type DataSpace, type DecodeRange, fromFlowSpace, toFlowSpace } from './data-space';
import { Sequential, sumLogdets } from './flow-layer';
import type { FlowLayer } from './flow-layer';
import { InvConv1x1, InvConv1x1LU } from './invconv';
import { Permute } from './permute';
import { SplitPrior, TopPrior, gaussianLogProb, gaussianSample, standardize, unstandardize } from './priors';
import type { Gaussian, PriorKind } from './priors';
import { Squeeze } from './squeeze';
import { dequantize } from './dequantize';
import { type TrainingNoise, UNIFORM_NOISE, addTrainingNoise } from './training-noise';

/**
 * How a Glow is laid out: `'multiscale'`, Glow's L × (squeeze → K × (ActNorm → 1×1 conv →
 * coupling with a conv subnet) → split); `'fc'`, flow-lp's Fashion-MNIST flow: the flattened
 * image ([N, 1, 1, D]) through K GLOW coupling blocks (two affine couplings with fully connected
 * subnets, the halves swapped between them, then a fixed random permutation), one level.
 */
export type GlowArchitecture = 'multiscale' | 'fc';

/** Options of `Glow`. */
export interface GlowOptions {
  /** Image shape [H, W, C]; H and W must be divisible by 2^levels. */
  inputShape: readonly [number, number, number];
  /** See `GlowArchitecture`. Default `'multiscale'`. */
  architecture?: GlowArchitecture;
  /** Levels L (each: squeeze → K steps → split); 1 for `'fc'`. Default 3 (1 for `'fc'`). */
  levels?: number;
  /** Flow steps K per level (each: ActNorm → 1×1 conv → coupling; a coupling block for `'fc'`). Default 32. */
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
  /** Classes of a class-conditional top prior (its condition is one-hot labels); 0 for none. Default 0. */
  numClasses?: number;
  /**
   * Width E of the condition vector (one-hot labels or any embedding) that enters every
   * coupling's subnet, as flow-lp's class-conditional flow; 0 for an unconditional bijection.
   * With `numClasses` too, both read the same condition, so they must be equal. Default 0.
   */
  conditionSize?: number;
  /** The space the flow models images in, see `DataSpace`. Default `'centered'`. */
  dataSpace?: DataSpace;
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

/** Options of every method that runs the flow. */
export interface DensityOptions {
  /**
   * The condition [N, E] (one-hot labels, or the embedding the flow was trained with); required
   * if and only if the model is conditional (`conditionSize` or `numClasses` > 0).
   */
  condition?: tf.Tensor2D;
}

/**
 * Which latents `encode` returns and `decode` takes: `'raw'`, the flow's outputs z; or
 * `'standardized'`, u = (z − μ)/σ with each level's μ, σ from its prior (given the kept half
 * and the condition), which are N(0, I) under the model whatever the priors learned, so an ε
 * means what it means for flow-lp's standard-normal latents. Decoding u recomputes each prior
 * from the (perturbed) levels above it: the standardized latents are the flow's base variables.
 */
export type LatentSpace = 'raw' | 'standardized';

/** Options of `Glow.encode`. */
export interface EncodeOptions extends DensityOptions {
  /** Default `'raw'`. */
  latents?: LatentSpace;
  /** Dequantize x first (uniform noise within each bin, from this stream), as flow-lp's encoder does. Default none. */
  dequantize?: Rng;
}

/** Options of `Glow.decode`. */
export interface DecodeOptions extends DensityOptions {
  /** The space of the latents given. Default `'raw'`. */
  latents?: LatentSpace;
  /** See `DecodeRange`. Default `'image'`. */
  range?: DecodeRange;
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
    architecture: options.architecture ?? 'multiscale',
    levels: options.levels ?? (options.architecture === 'fc' ? 1 : 3),
    steps: options.steps ?? 32,
    hidden: options.hidden ?? 512,
    coupling: options.coupling ?? 'affine',
    scaleForm: options.scaleForm ?? 'sigmoid',
    invConv: options.invConv ?? 'lu',
    splitPrior: options.splitPrior ?? 'learned',
    topPrior: options.topPrior ?? 'learned',
    numClasses: options.numClasses ?? 0,
    conditionSize: options.conditionSize ?? 0,
    dataSpace: options.dataSpace ?? 'centered',
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
  if (config.architecture === 'fc' && config.levels !== 1) {
    throw new PerturbError(
      `the fully connected Glow has one level, got levels ${config.levels}`,
      "set levels: 1 with architecture: 'fc'",
    );
  }
  const { numClasses, conditionSize } = config;
  if (!(
    Number.isInteger(numClasses) &&
    numClasses >= 0 &&
    Number.isInteger(conditionSize) &&
    conditionSize >= 0
  )) {
    throw new PerturbError(
      `numClasses and conditionSize must be whole numbers ≥ 0, got ${numClasses} and ${conditionSize}`,
      'use 0 for an unconditional Glow, or the width of the condition vector',
    );
  }
  if (numClasses > 0 && conditionSize > 0 && numClasses !== conditionSize) {
    throw new PerturbError(
      `numClasses ${numClasses} and conditionSize ${conditionSize} differ, but the prior and the couplings read the same condition`,
      'make them equal (the number of classes for one-hot labels)',
    );
  }
  if (config.architecture === 'multiscale' && (h % block !== 0 || w % block !== 0)) {
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
 * A Glow. Public methods take images in [0, 1] (NHWC float32) and work internally in its data
 * space (x − 0.5 by default, as the reference implementations do). `decode(encode(x))` gives back
 * x to float32 precision. A conditional Glow (`conditionSize` or `numClasses` > 0) takes its
 * condition in every method; an unconditional one refuses one.
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
  /** Width of the condition every method takes; 0 for an unconditional Glow. */
  readonly conditionWidth: number;

  constructor(options: GlowOptions) {
    super();
    this.config = resolveConfig(options);
    validate(this.config);
    const { levels, steps, inputShape } = this.config;
    const rng = options.rng;
    let [h, w, c] = inputShape;
    this.dims = h * w * c;
    this.conditionWidth = Math.max(this.config.numClasses, this.config.conditionSize);
    if (this.config.architecture === 'fc') {
      const layers: FlowLayer[] = [];
      for (let k = 0; k < steps; k++)
        layers.push(...this.couplingBlock(rng.child(`level0.step${k}`), this.dims));
      this.levels.push(this.addModule('level0', new Sequential(layers)));
      [h, w, c] = [1, 1, this.dims];
    }
    for (let level = 0; level < levels && this.config.architecture === 'multiscale'; level++) {
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
    const { invConv } = this.config;
    return new Sequential([
      new ActNorm(channels),
      invConv === 'lu'
        ? new InvConv1x1LU(rng.child('invconv'), channels)
        : new InvConv1x1(rng.child('invconv'), channels),
      this.coupling(rng.child('coupling'), channels, 'conv'),
    ]);
  }

  /**
   * FrEIA's GLOW coupling block over flattened images, then its random permutation: a coupling
   * of the second half given the first, the halves swapped, a coupling of the (new) second half,
   * and a seeded permutation of all values (which also undoes the swap's fixed order).
   */
  private couplingBlock(rng: Rng, dims: number): FlowLayer[] {
    const kept = Math.ceil(dims / 2);
    const swap = Array.from({ length: dims }, (_, i) => (i + kept) % dims);
    return [
      this.coupling(rng.child('coupling1'), dims, 'fc'),
      new Permute(swap),
      this.coupling(rng.child('coupling2'), dims, 'fc'),
      Permute.random(rng.child('permute'), dims),
    ];
  }

  private coupling(rng: Rng, channels: number, subnet: 'conv' | 'fc'): FlowLayer {
    const { hidden, coupling, scaleForm, conditionSize } = this.config;
    const options: CouplingOptions = { hidden, subnet, conditionSize };
    return coupling === 'affine'
      ? new AffineCoupling(rng, channels, { ...options, scaleForm })
      : new AdditiveCoupling(rng, channels, options);
  }

  /** The [H, W, C] shape of each latent, in the order of `encode`'s `latents`. */
  latentShapes(): Array<[number, number, number]> {
    if (this.config.architecture === 'fc') return [[1, 1, this.dims]];
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

  /**
   * x ∈ [0, 1] → the latents of every level (raw or standardized, see `LatentSpace`) and the
   * flow's logdet log|det ∂z/∂x| (of the raw latents, the data space's included).
   */
  encode(x: tf.Tensor4D, options: EncodeOptions = {}): GlowEncoding {
    return tf.tidy(() => {
      const input = options.dequantize
        ? dequantize(x, { nBits: this.config.nBits, rng: options.dequantize })
        : x;
      const { latents, kept, logdet } = this.flowForward(input, options.condition);
      if (options.latents !== 'standardized') return { latents, logdet };
      const priors = this.priorsOf(kept, options.condition);
      return { latents: latents.map((z, i) => standardize(z, priors[i])), logdet };
    });
  }

  /**
   * The inverse of `encode`: latents (as `encode` returns them, raw or standardized per
   * `options.latents`) → images (not clamped to [0, 1]).
   */
  decode(latents: readonly tf.Tensor4D[], options: DecodeOptions = {}): tf.Tensor4D {
    this.checkLatents(latents);
    const { condition } = options;
    this.checkCondition(latents[0].shape[0], condition);
    const last = latents.length - 1;
    return tf.tidy(() => {
      if (options.latents !== 'standardized') {
        return this.flowInverse(latents[last], (level) => latents[level], condition, options.range);
      }
      // Each prior from the levels above as decoded, so the base variables map back exactly.
      return this.flowInverse(
        unstandardize(latents[last], this.top.distribution(condition)),
        (level, kept) => unstandardize(latents[level], this.splits[level].distribution(kept, 'input')),
        condition,
        options.range,
      );
    });
  }

  /**
   * log p(x) in nats per sample [N], the density of continuous images x ∈ [0, 1]^D:
   * log p(z) + Σ logdet (the data space's Jacobian included; x − 0.5 has a unit one).
   */
  logProb(x: tf.Tensor4D, options: DensityOptions = {}): tf.Tensor1D {
    return tf.tidy(() => {
      const { latents, kept, logdet } = this.flowForward(x, options.condition);
      const priors = this.priorsOf(kept, options.condition);
      const terms = latents.map((z, i) => gaussianLogProb(z, priors[i]));
      terms.push(logdet);
      return sumLogdets(terms, x.shape[0]);
    });
  }

  /**
   * Mean bits per dimension of the discrete images x over the batch, the training loss:
   * −(log p(x̃) − D·log n_bins) / (D·ln 2) with x̃ = `dequantize(x)`. With `rng`, x̃ adds uniform
   * noise within each bin (the unbiased estimate used for training and test figures); without, x̃
   * is each bin's center (deterministic).
   *
   * With `noise: { kind: 'gaussian', std }`, x̃ = clamp(x + std·ε, 0, 1) instead (flow-lp's
   * notebook): the same formula, then no bound on the images' bits/dim; in the centered data
   * space (unit Jacobian) it is the notebook's loss mean(½‖z‖² − log|det J|) in nats plus
   * D·ln(2π)/2, over D·ln 2, plus nBits.
   */
  bitsPerDim(x: tf.Tensor4D, options: DensityOptions & { rng?: Rng; noise?: TrainingNoise } = {}): tf.Scalar {
    return tf.tidy(() => {
      const xNoised = addTrainingNoise(x, options.noise ?? UNIFORM_NOISE, {
        nBits: this.config.nBits,
        rng: options.rng,
      });
      const logProb = this.logProb(xNoised, options);
      const logProbDiscrete = tf.sub(logProb, this.dims * this.config.nBits * Math.LN2);
      return tf.div(tf.mean(logProbDiscrete), -this.dims * Math.LN2) as tf.Scalar;
    });
  }

  /** `n` images drawn from the model (not clamped to [0, 1]). */
  sample(n: number, options: SampleOptions): tf.Tensor4D {
    const temperature = options.temperature ?? 1;
    const { condition } = options;
    this.checkCondition(n, condition);
    const shapes = this.latentShapes();
    return tf.tidy(() => {
      const top = gaussianSample(
        [n, ...shapes[shapes.length - 1]],
        this.top.distribution(condition),
        temperature,
        options.rng,
      );
      return this.flowInverse(
        top,
        (level, kept) =>
          gaussianSample(
            [n, ...shapes[level]],
            this.splits[level].distribution(kept),
            temperature,
            options.rng,
          ),
        condition,
      );
    });
  }

  /**
   * Data-dependent initialization: runs `x` (a few hundred dequantized training images in
   * [0, 1], with their condition if the Glow is conditional) through the flow so that every
   * ActNorm not yet initialized sets itself from its input statistics. Training calls it once
   * before the first step; a loaded model skips it.
   */
  initialize(x: tf.Tensor4D, condition?: tf.Tensor2D): void {
    tf.tidy(() => {
      this.flowForward(x, condition);
    });
  }

  /** Each latent's prior: the split priors given their kept halves, then the top prior. */
  private priorsOf(kept: readonly tf.Tensor4D[], condition: tf.Tensor2D | undefined): Gaussian[] {
    return [...this.splits.map((split, i) => split.distribution(kept[i])), this.top.distribution(condition)];
  }

  private flowForward(
    x: tf.Tensor4D,
    condition: tf.Tensor2D | undefined,
  ): { latents: tf.Tensor4D[]; kept: tf.Tensor4D[]; logdet: tf.Tensor1D } {
    this.checkImages(x);
    this.checkCondition(x.shape[0], condition);
    const input = toFlowSpace(x, this.config.dataSpace);
    let h =
      this.config.architecture === 'fc'
        ? (tf.reshape(input.h, [x.shape[0], 1, 1, this.dims]) as tf.Tensor4D)
        : input.h;
    const latents: tf.Tensor4D[] = [];
    const kept: tf.Tensor4D[] = [];
    const logdets: tf.Tensor1D[] = [input.logdet];
    this.levels.forEach((level, i) => {
      const out = level.forward(h, condition);
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
    condition: tf.Tensor2D | undefined,
    range?: DecodeRange,
  ): tf.Tensor4D {
    let h = top;
    for (let level = this.levels.length - 1; level >= 0; level--) {
      if (level < this.splits.length) h = this.splits[level].merge(h, latentAt(level, h));
      h = this.levels[level].inverse(h, condition).x;
    }
    const image =
      this.config.architecture === 'fc'
        ? (tf.reshape(h, [h.shape[0], ...this.config.inputShape]) as tf.Tensor4D)
        : h;
    return fromFlowSpace(image, this.config.dataSpace, range);
  }

  /** A conditional Glow needs a condition of its width for every sample; an unconditional one takes none. */
  private checkCondition(n: number, condition: tf.Tensor2D | undefined): void {
    const width = this.conditionWidth;
    if (width === 0) {
      if (condition !== undefined) {
        throw new PerturbError(
          'this Glow is unconditional but was given a condition',
          'drop the condition, or train a conditional Glow (conditionSize or numClasses > 0)',
        );
      }
      return;
    }
    if (
      condition === undefined ||
      condition.rank !== 2 ||
      condition.shape[0] !== n ||
      condition.shape[1] !== width
    ) {
      throw new PerturbError(
        `this Glow is conditional and needs a condition of shape [${n}, ${width}] but got ${condition === undefined ? 'none' : `[${condition.shape}]`}`,
        `pass condition: one-hot labels (or the embedding it was trained with) of width ${width}, one row per image`,
      );
    }
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
