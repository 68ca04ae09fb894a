import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Module } from '@perturb/core';
import type { Conv2d, Rng } from '@perturb/core';
import { plainConv } from '../layers/conv-bn';

/**
 * The pre-activation residual block of He et al. (2016b), also the block of WideResNet:
 * conv2(relu(bn2(conv1(relu(bn1(x)))))) + shortcut. Where the stride or width changes the
 * shortcut is a 1×1 conv of the pre-activated input relu(bn1(x)), elsewhere the raw x.
 */
export class PreActBlock extends Module {
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly shortcut: Conv2d | null;

  constructor(rng: Rng, inChannels: number, outChannels: number, stride: number) {
    super();
    this.bn1 = this.addModule('bn1', new BatchNorm2d(inChannels));
    this.conv1 = this.addModule('conv1', plainConv(rng.child('conv1'), inChannels, outChannels, 3, stride));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outChannels));
    this.conv2 = this.addModule('conv2', plainConv(rng.child('conv2'), outChannels, outChannels, 3, 1));
    const reshapes = stride !== 1 || inChannels !== outChannels;
    this.shortcut = reshapes
      ? this.addModule('shortcut', plainConv(rng.child('shortcut'), inChannels, outChannels, 1, stride))
      : null;
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const pre = tf.relu(this.bn1.forward(x, training));
    const h = tf.relu(this.bn2.forward(this.conv1.forward(pre), training));
    const skip = this.shortcut ? this.shortcut.forward(pre) : x;
    return tf.add(this.conv2.forward(h), skip);
  }
}
