import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Linear, Module } from '@perturb/core';
import type { Rng } from '@perturb/core';

/**
 * The end of a ResNet-style network: [BatchNorm → ReLU →] global average pool → linear.
 * The optional BN-ReLU is what pre-activation networks need, since their blocks end in a raw
 * residual sum. State under `bn.*` and `fc.*`.
 */
export class PooledLinear extends Module {
  readonly bn: BatchNorm2d | null;
  readonly fc: Linear;

  constructor(rng: Rng, channels: number, numClasses: number, options: { batchNorm?: boolean } = {}) {
    super();
    this.bn = options.batchNorm ? this.addModule('bn', new BatchNorm2d(channels)) : null;
    this.fc = this.addModule('fc', new Linear(rng, channels, numClasses));
  }

  forward(features: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const h = this.bn ? tf.relu(this.bn.forward(features, training)) : features;
    return this.fc.forward(tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
}
