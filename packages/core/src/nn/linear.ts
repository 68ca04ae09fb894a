import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';
import type { Rng } from '../rng';
import { fanInUniform } from './init';

/** Fully connected layer `x·W + b`, initialized as PyTorch's `nn.Linear`. */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(rng: Rng, inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.weight = this.addParameter('weight', fanInUniform(rng, [inFeatures, outFeatures], inFeatures));
    this.bias =
      (options.bias ?? true) ? this.addParameter('bias', fanInUniform(rng, [outFeatures], inFeatures)) : null;
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.matMul(x, this.weight as tf.Tensor2D) as tf.Tensor2D;
    return this.bias ? tf.add<tf.Tensor2D>(y, this.bias as tf.Tensor) : y;
  }
}
