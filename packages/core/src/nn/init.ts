/** Parameter initializers, drawn from an `Rng` on the host so they match across backends. */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';

/** He-normal: N(0, 2/fanIn), for convs followed by ReLU (He et al. 2015). */
export function heNormal(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  return rng.normalTensor(shape, 0, Math.sqrt(2 / fanIn));
}

/** U(−1/√fanIn, 1/√fanIn): PyTorch's default for conv and linear weights and biases. */
export function fanInUniform(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return rng.uniformTensor(shape, -bound, bound);
}
