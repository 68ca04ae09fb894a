import * as tf from '@tensorflow/tfjs-core';
import { Module, heNormal } from '@perturb/core';
import type { Rng } from '@perturb/core';

/**
 * Depthwise 2-D convolution (one k×k filter per channel, no bias) over NHWC inputs, with
 * symmetric zero padding (k−1)/2 as PyTorch's `groups=channels` conv. The filter is stored
 * `[k, k, channels, 1]`, the layout `tf.depthwiseConv2d` expects; He-normal init with
 * fan-in k·k, since each output sees one channel.
 */
export class DepthwiseConv2d extends Module {
  readonly weight: tf.Variable;

  constructor(
    rng: Rng,
    channels: number,
    readonly kernelSize: number,
    readonly stride: number,
  ) {
    super();
    this.weight = this.addParameter(
      'weight',
      heNormal(rng, [kernelSize, kernelSize, channels, 1], kernelSize * kernelSize),
    );
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.depthwiseConv2d(x, this.weight as tf.Tensor4D, this.stride, (this.kernelSize - 1) / 2);
  }
}
