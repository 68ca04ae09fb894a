import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { activate } from '../layers/activation';
import { convBn, depthwiseBn } from '../layers/conv-bn';
import type { ConvBn } from '../layers/conv-bn';

/**
 * Squeeze-and-excitation (Hu et al. 2018) as EfficientNet uses it: channel weights
 * σ(expand(swish(reduce(mean_HW x)))) multiply x. The 1×1 convs carry biases.
 */
export class SqueezeExcitation extends Module {
  readonly reduce: Conv2d;
  readonly expand: Conv2d;

  constructor(rng: Rng, channels: number, squeezeChannels: number) {
    super();
    const options = { kernelSize: 1, padding: 0 };
    this.reduce = this.addModule(
      'reduce',
      new Conv2d(rng.child('reduce'), channels, squeezeChannels, options),
    );
    this.expand = this.addModule(
      'expand',
      new Conv2d(rng.child('expand'), squeezeChannels, channels, options),
    );
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const squeezed = tf.mean(x, [1, 2], true) as tf.Tensor4D;
    const weights = tf.sigmoid(this.expand.forward(activate(this.reduce.forward(squeezed), 'swish')));
    return tf.mul(x, weights);
  }
}

/** Shape of one MBConv block. */
export interface MBConvSpec {
  inChannels: number;
  outChannels: number;
  /** Width of the depthwise stage as a multiple of `inChannels`; 1 skips the expansion conv. */
  expandRatio: number;
  kernelSize: number;
  stride: number;
}

/**
 * The inverted-residual block of MobileNetV2 / EfficientNet: [1×1 expand → BN → swish] →
 * depthwise k×k → BN → swish → squeeze-excitation (squeeze width = inChannels / 4) → 1×1
 * project → BN, plus the input when the shape is unchanged. Stochastic depth is left out,
 * so the block is deterministic.
 */
export class MBConv extends Module {
  readonly expand: ConvBn | null;
  readonly depthwise: ConvBn;
  readonly se: SqueezeExcitation;
  readonly project: ConvBn;
  readonly residual: boolean;

  constructor(rng: Rng, spec: MBConvSpec) {
    super();
    const { inChannels, outChannels, expandRatio, kernelSize, stride } = spec;
    const mid = inChannels * expandRatio;
    this.expand =
      expandRatio === 1
        ? null
        : this.addModule(
            'expand',
            convBn(rng.child('expand'), inChannels, mid, { kernelSize: 1, activation: 'swish' }),
          );
    this.depthwise = this.addModule(
      'depthwise',
      depthwiseBn(rng.child('depthwise'), mid, { kernelSize, stride, activation: 'swish' }),
    );
    this.se = this.addModule(
      'se',
      new SqueezeExcitation(rng.child('se'), mid, Math.max(1, Math.floor(inChannels / 4))),
    );
    this.project = this.addModule(
      'project',
      convBn(rng.child('project'), mid, outChannels, { kernelSize: 1, activation: 'none' }),
    );
    this.residual = stride === 1 && inChannels === outChannels;
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const expanded = this.expand ? this.expand.forward(x, training) : x;
    const h = this.project.forward(this.se.forward(this.depthwise.forward(expanded, training)), training);
    return this.residual ? tf.add(h, x) : h;
  }
}
