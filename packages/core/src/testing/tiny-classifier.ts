import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '../errors';
import { Module } from '../module';
import { BatchNorm2d, Conv2d, Linear } from '../nn';
import type { Classifier, ForwardOptions } from '../plugin';
import { Rng } from '../rng';

/** Shape and initialization of a {@link TinyClassifier}. */
export interface TinyClassifierOptions {
  /** Channels of the input images. Default 1. */
  inChannels?: number;
  /** Number of classes (outputs of the final linear layer). Default 10. */
  numClasses?: number;
  /** Channels of both convs. Default 8. */
  width?: number;
  /** Seeds the weight initialization. Default 0. */
  seed?: number;
}

/**
 * A two-conv `Classifier` (conv-BN-ReLU → site `stem` → conv-ReLU → site `features` → pool →
 * linear) that runs in milliseconds: for tests and examples of plugins, not for accuracy.
 */
export class TinyClassifier extends Module implements Classifier {
  readonly sites = ['stem', 'features'] as const;
  readonly numClasses: number;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly fc: Linear;

  constructor(options: TinyClassifierOptions = {}) {
    super();
    const rng = new Rng(options.seed ?? 0);
    const width = options.width ?? 8;
    this.numClasses = options.numClasses ?? 10;
    this.conv1 = this.addModule('conv1', new Conv2d(rng, options.inChannels ?? 1, width, { bias: false }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(width));
    this.conv2 = this.addModule('conv2', new Conv2d(rng, width, width));
    this.fc = this.addModule('fc', new Linear(rng, width, this.numClasses));
  }

  logits(x: tf.Tensor4D, options: ForwardOptions): tf.Tensor2D {
    return this.tail(this.head(x, 'stem', options), 'stem', options);
  }

  head(x: tf.Tensor4D, site: string, options: ForwardOptions): tf.Tensor4D {
    const stem = tf.relu(this.bn1.forward(this.conv1.forward(x), options.training));
    return site === 'stem' ? stem : this.afterStem(stem, site);
  }

  tail(f: tf.Tensor4D, site: string, _options: ForwardOptions): tf.Tensor2D {
    const features = site === 'stem' ? this.afterStem(f, 'features') : this.checkSite(f, site);
    return this.fc.forward(tf.mean(features, [1, 2]) as tf.Tensor2D);
  }

  private afterStem(stem: tf.Tensor4D, site: string): tf.Tensor4D {
    return this.checkSite(tf.relu(this.conv2.forward(stem)), site);
  }

  private checkSite<T>(value: T, site: string): T {
    if (!this.sites.includes(site as 'stem')) {
      throw new PerturbError(
        `TinyClassifier has no feature site "${site}"`,
        `use one of ${this.sites.join(', ')}`,
      );
    }
    return value;
  }
}
