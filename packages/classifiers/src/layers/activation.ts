import * as tf from '@tensorflow/tfjs-core';

/** The activations the classifiers use: ReLU (ResNets), swish (EfficientNet) or none. */
export type Activation = 'relu' | 'swish' | 'none';

/** Applies `kind` elementwise. Swish is x·σ(x) (also called SiLU). */
export function activate<T extends tf.Tensor>(x: T, kind: Activation): T {
  if (kind === 'relu') return tf.relu(x);
  if (kind === 'swish') return tf.mul(x, tf.sigmoid(x));
  return x;
}
