import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import type { ClassifierOptions } from '../options';
import { SitedClassifier } from '../sited';

/** Options of `LeNet5`. */
export interface LeNet5Options extends ClassifierOptions {
  /** Side of the square input images: 32 (as in the paper) or 28 (MNIST, padded by 2 in the first conv). Default 32. */
  inputSize?: 28 | 32;
}

/** 5×5 conv (with bias) → ReLU → 2×2 max-pool. */
class ConvPool extends Module {
  readonly conv: Conv2d;

  constructor(rng: Rng, inChannels: number, outChannels: number, padding: number) {
    super();
    this.conv = this.addModule('conv', new Conv2d(rng, inChannels, outChannels, { kernelSize: 5, padding }));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.maxPool(tf.relu(this.conv.forward(x)), 2, 2, 'valid');
  }
}

/** Flatten the 5×5×16 features → 120 → 84 → classes, ReLU between. */
class LeNetTop extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;

  constructor(rng: Rng, numClasses: number) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(rng.child('fc1'), 400, 120));
    this.fc2 = this.addModule('fc2', new Linear(rng.child('fc2'), 120, 84));
    this.fc3 = this.addModule('fc3', new Linear(rng.child('fc3'), 84, numClasses));
  }

  forward(features: tf.Tensor4D): tf.Tensor2D {
    const [n, h, w, c] = features.shape;
    if (h * w * c !== 400) {
      throw new PerturbError(
        `LeNet-5 features are ${h}×${w}×${c} where 5×5×16 were expected`,
        'feed 32×32 images, or 28×28 images to a model created with inputSize: 28',
      );
    }
    const flat = tf.reshape(features, [n, 400]) as tf.Tensor2D;
    return this.fc3.forward(tf.relu(this.fc2.forward(tf.relu(this.fc1.forward(flat)))));
  }
}

/**
 * LeNet-5 (LeCun et al. 1998) in its modern form: ReLU and max-pooling instead of scaled tanh
 * and subsampling, full connections between conv1 and conv2. Sites: `block1` (6 channels,
 * 14×14), `block2` (16 channels, 5×5). No BatchNorm, so train and eval mode agree.
 */
export class LeNet5 extends SitedClassifier {
  constructor(options: LeNet5Options) {
    const { rng, numClasses = 10, inChannels = 3, inputSize = 32 } = options;
    const block1 = new ConvPool(rng.child('block1'), inChannels, 6, (32 - inputSize) / 2);
    const block2 = new ConvPool(rng.child('block2'), 6, 16, 0);
    super(
      numClasses,
      inChannels,
      [
        ['block1', block1],
        ['block2', block2],
      ],
      new LeNetTop(rng.child('classifier'), numClasses),
    );
  }
}
