/**
 * Coupling layers (Dinh et al. 2016; Kingma & Dhariwal 2018): the channels split into halves
 * (a, b); a passes unchanged and conditions an invertible elementwise map of b.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { convSame, hiddenLayers } from './conv';
import type { ConvGradients } from './conv';
import { FlowLayer } from './flow-layer';
import type { FlowForward, FlowInverse } from './flow-layer';

/**
 * A convolution (3×3 by default) that starts at zero, with outputs scaled by exp(3·logs) per
 * channel (Glow's `Conv2dZeros`): the flow starts as the identity and the scale learns fast.
 */
export class ZeroConv2d extends Module {
  readonly conv: Conv2d;
  readonly logs: tf.Variable;

  constructor(rng: Rng, inChannels: number, outChannels: number, kernelSize = 3) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv2d(rng, inChannels, outChannels, { kernelSize, init: 'zeros' }),
    );
    this.logs = this.addParameter('logs', tf.zeros([outChannels]));
  }

  /** `gradients`: see `ConvGradients`. Default `'all'`. */
  forward(x: tf.Tensor4D, gradients: ConvGradients = 'all'): tf.Tensor4D {
    return tf.mul(convSame(x, this.conv, 'linear', gradients), tf.exp(tf.mul(this.logs, 3)));
  }
}

/**
 * The shape of a coupling network: `'conv'`, Glow's 3×3 conv → ReLU → 1×1 conv → ReLU →
 * `ZeroConv2d`; `'fc'`, a fully connected network Linear → ReLU → zero-initialized Linear (the
 * subnet of flow-lp's Fashion-MNIST notebook), written as 1×1 convolutions so that it runs on
 * a flattened image ([N, 1, 1, D]) or per position.
 */
export type SubnetKind = 'conv' | 'fc';

/** Options of `CouplingNet`. */
export interface CouplingNetOptions {
  /** Default `'conv'`. */
  subnet?: SubnetKind;
  /** Width E of the condition vector concatenated to the input at every position; 0 for none. Default 0. */
  conditionSize?: number;
}

/**
 * The coupling network h = NN(a) or, with a condition c ([N, E]), h = NN([a, c]) with c
 * broadcast to every position and concatenated to a's channels (how a label or embedding enters
 * each coupling of a conditional flow, as FrEIA's conditional coupling blocks do).
 */
export class CouplingNet extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d | null;
  readonly out: ZeroConv2d;
  readonly conditionSize: number;

  /** Hidden convolutions are initialized as PyTorch's default (U(±1/√fanIn)). */
  constructor(
    rng: Rng,
    inChannels: number,
    hidden: number,
    outChannels: number,
    options: CouplingNetOptions = {},
  ) {
    super();
    const fc = (options.subnet ?? 'conv') === 'fc';
    this.conditionSize = options.conditionSize ?? 0;
    const netInputs = inChannels + this.conditionSize;
    this.conv1 = this.addModule(
      'conv1',
      new Conv2d(rng, netInputs, hidden, { kernelSize: fc ? 1 : 3, init: 'uniform' }),
    );
    this.conv2 = fc
      ? null
      : this.addModule('conv2', new Conv2d(rng, hidden, hidden, { kernelSize: 1, init: 'uniform' }));
    this.out = this.addModule('out', new ZeroConv2d(rng, hidden, outChannels, fc ? 1 : 3));
  }

  /** `gradients`: see `ConvGradients`. Default `'all'`. */
  forward(x: tf.Tensor4D, condition?: tf.Tensor2D, gradients: ConvGradients = 'all'): tf.Tensor4D {
    const input = this.withCondition(x, condition);
    const hiddenOut =
      this.conv2 === null
        ? convSame(input, this.conv1, 'relu', gradients)
        : hiddenLayers(input, this.conv1, this.conv2, gradients);
    return this.out.forward(hiddenOut, gradients);
  }

  private withCondition(x: tf.Tensor4D, condition: tf.Tensor2D | undefined): tf.Tensor4D {
    if (this.conditionSize === 0) return x;
    const [n, h, w] = x.shape;
    if (
      condition === undefined ||
      condition.rank !== 2 ||
      condition.shape[0] !== n ||
      condition.shape[1] !== this.conditionSize
    ) {
      throw new PerturbError(
        `this conditional coupling needs a condition of shape [${n}, ${this.conditionSize}] but got ${condition === undefined ? 'none' : `[${condition.shape}]`}`,
        'pass the condition (one-hot labels or an embedding) with the images',
      );
    }
    const map = tf.tile(tf.reshape(condition, [n, 1, 1, this.conditionSize]), [1, h, w, 1]) as tf.Tensor4D;
    return tf.concat4d([x, map], 3);
  }
}

/** Options shared by the coupling layers. */
export interface CouplingOptions extends CouplingNetOptions {
  /** Channels of the coupling network's hidden layers. Default 512 (Glow). */
  hidden?: number;
}

/**
 * The shared skeleton: split x into (a, b) on channels (a gets the larger half when C is odd),
 * h = NN(a) (or NN(a, condition)), then an invertible map of b given h that subclasses define.
 */
abstract class CouplingLayer extends FlowLayer {
  readonly net: CouplingNet;
  /** Channels of the conditioning half a. */
  readonly conditionChannels: number;

  constructor(
    rng: Rng,
    readonly channels: number,
    options: CouplingOptions,
    netOutputsPerChannel: number,
  ) {
    super();
    if (channels < 2) {
      throw new PerturbError(
        `a coupling layer needs at least 2 channels to split, got ${channels}`,
        'squeeze the input first (Glow does) or use a layer that does not split channels',
      );
    }
    this.conditionChannels = Math.ceil(channels / 2);
    const transformed = channels - this.conditionChannels;
    this.net = this.addModule(
      'net',
      new CouplingNet(
        rng,
        this.conditionChannels,
        options.hidden ?? 512,
        netOutputsPerChannel * transformed,
        options,
      ),
    );
  }

  forward(x: tf.Tensor4D, condition?: tf.Tensor2D): FlowForward {
    const [a, b] = tf.split(
      x,
      [this.conditionChannels, this.channels - this.conditionChannels],
      3,
    ) as tf.Tensor4D[];
    const { y, logdet } = this.couple(b, this.net.forward(a, condition));
    return { y: tf.concat4d([a, y], 3), logdet };
  }

  inverse(y: tf.Tensor4D, condition?: tf.Tensor2D): FlowInverse {
    const [a, yb] = tf.split(
      y,
      [this.conditionChannels, this.channels - this.conditionChannels],
      3,
    ) as tf.Tensor4D[];
    // The inverse is differentiated (by latent-space attacks) in its input only.
    const { x, logdet } = this.decouple(yb, this.net.forward(a, condition, 'input'));
    return { x: tf.concat4d([a, x], 3), logdet };
  }

  /** The map of b given the network output h. */
  protected abstract couple(b: tf.Tensor4D, h: tf.Tensor4D): FlowForward;
  /** Its inverse, written so that it undoes `couple` operation by operation. */
  protected abstract decouple(yb: tf.Tensor4D, h: tf.Tensor4D): FlowInverse;
}

/** How `AffineCoupling` turns the network's raw output into a positive scale. */
export type ScaleForm = 'sigmoid' | 'exp-tanh' | 'exp-atan';

/** The soft clamp of the `'exp-atan'` form: log scale = (2c/π)·atan(raw/c), FrEIA's `clamp` = 2. */
const ATAN_CLAMP = 2;

export interface AffineCouplingOptions extends CouplingOptions {
  /**
   * `'sigmoid'`: scale = sigmoid(raw + 2), OpenAI Glow's form (scales in (0, 1), starting at
   * 0.88). `'exp-tanh'`: scale = exp(c·tanh(raw)) with a learned per-channel c (initially 1),
   * the form of flow-lp's Glow and Real NVP. `'exp-atan'`: scale = exp((2c/π)·atan(raw/c)) with
   * c = 2, the soft clamp of FrEIA's GLOW coupling block (flow-lp's Fashion-MNIST notebook).
   * Default `'sigmoid'`.
   */
  scaleForm?: ScaleForm;
}

/**
 * Affine coupling: (shift, raw) = NN(a), y_b = (b + shift)·scale, logdet = Σ log scale.
 * The inverse is b = y_b / scale − shift, undoing each float operation in reverse.
 */
export class AffineCoupling extends CouplingLayer {
  readonly scaleForm: ScaleForm;
  /** The learned tanh bound c of the `'exp-tanh'` form; null for the other forms. */
  readonly tanhScale: tf.Variable | null;

  constructor(rng: Rng, channels: number, options: AffineCouplingOptions = {}) {
    super(rng, channels, options, 2);
    this.scaleForm = options.scaleForm ?? 'sigmoid';
    this.tanhScale =
      this.scaleForm === 'exp-tanh'
        ? this.addParameter('tanhScale', tf.ones([channels - this.conditionChannels]))
        : null;
  }

  protected couple(b: tf.Tensor4D, h: tf.Tensor4D): FlowForward {
    const { shift, scale, logScale } = this.shiftAndScale(h);
    return {
      y: tf.mul<tf.Tensor4D>(tf.add(b, shift), scale),
      logdet: tf.sum<tf.Tensor1D>(logScale, [1, 2, 3]),
    };
  }

  protected decouple(yb: tf.Tensor4D, h: tf.Tensor4D): FlowInverse {
    const { shift, scale, logScale } = this.shiftAndScale(h);
    return {
      x: tf.sub<tf.Tensor4D>(tf.div(yb, scale), shift),
      logdet: tf.neg(tf.sum<tf.Tensor1D>(logScale, [1, 2, 3])),
    };
  }

  private shiftAndScale(h: tf.Tensor4D): { shift: tf.Tensor4D; scale: tf.Tensor4D; logScale: tf.Tensor4D } {
    const [shift, raw] = tf.split(h, 2, 3) as tf.Tensor4D[];
    if (this.scaleForm === 'exp-atan') {
      const logScale = tf.mul<tf.Tensor4D>(tf.atan(tf.div(raw, ATAN_CLAMP)), (2 * ATAN_CLAMP) / Math.PI);
      return { shift, scale: tf.exp(logScale), logScale };
    }
    if (this.tanhScale === null) {
      const shifted = tf.add<tf.Tensor4D>(raw, 2);
      // log sigmoid(t) = −softplus(−t), stable for any t. (tf.logSigmoid's custom gradient
      // loses its saved input when the forward pass runs inside tf.tidy.)
      return { shift, scale: tf.sigmoid(shifted), logScale: tf.neg(tf.softplus(tf.neg(shifted))) };
    }
    const logScale = tf.mul<tf.Tensor4D>(this.tanhScale, tf.tanh(raw));
    return { shift, scale: tf.exp(logScale), logScale };
  }
}

/** Additive coupling (NICE): y_b = b + NN(a), volume preserving (logdet 0). */
export class AdditiveCoupling extends CouplingLayer {
  constructor(rng: Rng, channels: number, options: CouplingOptions = {}) {
    super(rng, channels, options, 1);
  }

  protected couple(b: tf.Tensor4D, h: tf.Tensor4D): FlowForward {
    return { y: tf.add(b, h), logdet: tf.zeros([b.shape[0]]) };
  }

  protected decouple(yb: tf.Tensor4D, h: tf.Tensor4D): FlowInverse {
    return { x: tf.sub(yb, h), logdet: tf.zeros([yb.shape[0]]) };
  }
}
