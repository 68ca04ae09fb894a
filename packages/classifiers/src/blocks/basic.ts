import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Module } from '@perturb/core';
import type { Conv2d, Rng } from '@perturb/core';
import { convBn, plainConv } from '../layers/conv-bn';
import type { ConvBn } from '../layers/conv-bn';

/**
 * The post-activation residual block of He et al. (2016a):
 * relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), with a 1×1 conv + BN shortcut
 * ("option B") wherever the stride or width changes, an identity elsewhere.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcut: ConvBn | null;

  constructor(rng: Rng, inChannels: number, outChannels: number, stride: number) {
    super();
    this.conv1 = this.addModule('conv1', plainConv(rng.child('conv1'), inChannels, outChannels, 3, stride));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(outChannels));
    this.conv2 = this.addModule('conv2', plainConv(rng.child('conv2'), outChannels, outChannels, 3, 1));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outChannels));
    const reshapes = stride !== 1 || inChannels !== outChannels;
    this.shortcut = reshapes
      ? this.addModule(
          'shortcut',
          convBn(rng.child('shortcut'), inChannels, outChannels, {
            kernelSize: 1,
            stride,
            activation: 'none',
          }),
        )
      : null;
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h = tf.relu(this.bn1.forward(this.conv1.forward(x), training));
    const residual = this.bn2.forward(this.conv2.forward(h), training);
    const skip = this.shortcut ? this.shortcut.forward(x, training) : x;
    return tf.relu(tf.add<tf.Tensor4D>(residual, skip));
  }
}
