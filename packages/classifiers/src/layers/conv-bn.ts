import type * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { activate } from './activation';
import type { Activation } from './activation';
import { DepthwiseConv2d } from './depthwise';

/** Options of `convBn` and `depthwiseBn`. */
export interface ConvBnOptions {
  /** Square kernel size. Default 3. */
  kernelSize?: number;
  /** Default 1. */
  stride?: number;
  /** Activation after the BatchNorm. Default `'relu'`. */
  activation?: Activation;
}

/** The convolutions `ConvBn` can hold: any module mapping NHWC images to NHWC feature maps. */
export type SpatialConv = Module & { forward(x: tf.Tensor4D): tf.Tensor4D };

/** Convolution → BatchNorm → activation; state under `conv.*` and `bn.*`. */
export class ConvBn extends Module {
  readonly conv: SpatialConv;
  readonly bn: BatchNorm2d;

  constructor(
    conv: SpatialConv,
    outChannels: number,
    readonly activation: Activation,
  ) {
    super();
    this.conv = this.addModule('conv', conv);
    this.bn = this.addModule('bn', new BatchNorm2d(outChannels));
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return activate(this.bn.forward(this.conv.forward(x), training), this.activation);
  }
}

/**
 * A bias-free convolution with PyTorch's symmetric padding (k−1)/2 (not TensorFlow's `'same'`,
 * which pads stride-2 convs asymmetrically and so would shift every downsampled feature map),
 * initialized as PyTorch's `nn.Conv2d` (U(±1/√fanIn)), so a recipe from PyTorch code that keeps
 * the default init (as the peers do) trains the same way here.
 */
export function plainConv(
  rng: Rng,
  inChannels: number,
  outChannels: number,
  kernelSize: number,
  stride: number,
): Conv2d {
  return new Conv2d(rng, inChannels, outChannels, {
    kernelSize,
    stride,
    padding: (kernelSize - 1) / 2,
    bias: false,
    init: 'uniform',
  });
}

/** A bias-free conv followed by BatchNorm and an activation. */
export function convBn(
  rng: Rng,
  inChannels: number,
  outChannels: number,
  options: ConvBnOptions = {},
): ConvBn {
  const conv = plainConv(rng, inChannels, outChannels, options.kernelSize ?? 3, options.stride ?? 1);
  return new ConvBn(conv, outChannels, options.activation ?? 'relu');
}

/** A depthwise conv followed by BatchNorm and an activation. */
export function depthwiseBn(rng: Rng, channels: number, options: ConvBnOptions = {}): ConvBn {
  const conv = new DepthwiseConv2d(rng, channels, options.kernelSize ?? 3, options.stride ?? 1);
  return new ConvBn(conv, channels, options.activation ?? 'relu');
}
