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
 * A 3×3 convolution that starts at zero, with outputs scaled by exp(3·logs) per channel (Glow's
 * `Conv2dZeros`): the flow starts as the identity and the scale learns fast.
 */
export class ZeroConv2d extends Module {
  readonly conv: Conv2d;
  readonly logs: tf.Variable;

  constructor(rng: Rng, inChannels: number, outChannels: number) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv2d(rng, inChannels, outChannels, { kernelSize: 3, init: 'zeros' }),
    );
    this.logs = this.addParameter('logs', tf.zeros([outChannels]));
  }

  /** `gradients`: see `ConvGradients`. Default `'all'`. */
  forward(x: tf.Tensor4D, gradients: ConvGradients = 'all'): tf.Tensor4D {
    return tf.mul(convSame(x, this.conv, 'linear', gradients), tf.exp(tf.mul(this.logs, 3)));
  }
}

/** The coupling network: 3×3 conv → ReLU → 1×1 conv → ReLU → `ZeroConv2d`, as Glow. */
export class CouplingNet extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly out: ZeroConv2d;

  /** Hidden convolutions are initialized as PyTorch's default (U(±1/√fanIn)). */
  constructor(rng: Rng, inChannels: number, hidden: number, outChannels: number) {
    super();
    this.conv1 = this.addModule(
      'conv1',
      new Conv2d(rng, inChannels, hidden, { kernelSize: 3, init: 'uniform' }),
    );
    this.conv2 = this.addModule('conv2', new Conv2d(rng, hidden, hidden, { kernelSize: 1, init: 'uniform' }));
    this.out = this.addModule('out', new ZeroConv2d(rng, hidden, outChannels));
  }

  /** `gradients`: see `ConvGradients`. Default `'all'`. */
  forward(x: tf.Tensor4D, gradients: ConvGradients = 'all'): tf.Tensor4D {
    return this.out.forward(hiddenLayers(x, this.conv1, this.conv2, gradients), gradients);
  }
}

/** Options shared by the coupling layers. */
export interface CouplingOptions {
  /** Channels of the coupling network's hidden layers. Default 512 (Glow). */
  hidden?: number;
}

/**
 * The shared skeleton: split x into (a, b) on channels (a gets the larger half when C is odd),
 * h = NN(a), then an invertible map of b given h that subclasses define.
 */
abstract class CouplingLayer extends FlowLayer {
  readonly net: CouplingNet;
  /** Channels of the conditioning half a. */
  readonly conditionChannels: number;

  constructor(
    rng: Rng,
    readonly channels: number,
    hidden: number,
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
      new CouplingNet(rng, this.conditionChannels, hidden, netOutputsPerChannel * transformed),
    );
  }

  forward(x: tf.Tensor4D): FlowForward {
    const [a, b] = tf.split(
      x,
      [this.conditionChannels, this.channels - this.conditionChannels],
      3,
    ) as tf.Tensor4D[];
    const { y, logdet } = this.couple(b, this.net.forward(a));
    return { y: tf.concat4d([a, y], 3), logdet };
  }

  inverse(y: tf.Tensor4D): FlowInverse {
    const [a, yb] = tf.split(
      y,
      [this.conditionChannels, this.channels - this.conditionChannels],
      3,
    ) as tf.Tensor4D[];
    // The inverse is differentiated (by latent-space attacks) in its input only.
    const { x, logdet } = this.decouple(yb, this.net.forward(a, 'input'));
    return { x: tf.concat4d([a, x], 3), logdet };
  }

  /** The map of b given the network output h. */
  protected abstract couple(b: tf.Tensor4D, h: tf.Tensor4D): FlowForward;
  /** Its inverse, written so that it undoes `couple` operation by operation. */
  protected abstract decouple(yb: tf.Tensor4D, h: tf.Tensor4D): FlowInverse;
}

/** How `AffineCoupling` turns the network's raw output into a positive scale. */
export type ScaleForm = 'sigmoid' | 'exp-tanh';

export interface AffineCouplingOptions extends CouplingOptions {
  /**
   * `'sigmoid'`: scale = sigmoid(raw + 2), OpenAI Glow's form (scales in (0, 1), starting at
   * 0.88). `'exp-tanh'`: scale = exp(c·tanh(raw)) with a learned per-channel c (initially 1),
   * the form of flow-lp and Real NVP. Default `'sigmoid'`.
   */
  scaleForm?: ScaleForm;
}

/**
 * Affine coupling: (shift, raw) = NN(a), y_b = (b + shift)·scale, logdet = Σ log scale.
 * The inverse is b = y_b / scale − shift, undoing each float operation in reverse.
 */
export class AffineCoupling extends CouplingLayer {
  readonly scaleForm: ScaleForm;
  /** The learned tanh bound c of the `'exp-tanh'` form; null for `'sigmoid'`. */
  readonly tanhScale: tf.Variable | null;

  constructor(rng: Rng, channels: number, options: AffineCouplingOptions = {}) {
    super(rng, channels, options.hidden ?? 512, 2);
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
    super(rng, channels, options.hidden ?? 512, 1);
  }

  protected couple(b: tf.Tensor4D, h: tf.Tensor4D): FlowForward {
    return { y: tf.add(b, h), logdet: tf.zeros([b.shape[0]]) };
  }

  protected decouple(yb: tf.Tensor4D, h: tf.Tensor4D): FlowInverse {
    return { x: tf.sub(yb, h), logdet: tf.zeros([yb.shape[0]]) };
  }
}
