import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '@perturb/core';

/** A module that maps NHWC features to NHWC features; every block and stage is one. */
export type FeatureLayer = Module & { forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D };

/**
 * Blocks run in order, registered as `block0`, `block1`, …. In a `SitedClassifier` the stage's
 * output is a feature site and so is every block's but the last (`<stage>.block<i>`).
 */
export class Stage extends Module {
  readonly blocks: readonly FeatureLayer[];

  constructor(blocks: readonly FeatureLayer[]) {
    super();
    this.blocks = blocks.map((block, i) => this.addModule(`block${i}`, block));
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.blocks.reduce((h, block) => block.forward(h, training), x);
  }
}
