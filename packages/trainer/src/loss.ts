import * as tf from '@tensorflow/tfjs-core';

/** Mean cross-entropy of `logits` against class probabilities `y` (one-hot or soft labels). */
export function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Number of rows whose argmax of `logits` equals the argmax of `y`. */
export function countCorrect(logits: tf.Tensor2D, y: tf.Tensor2D): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')).dataSync()[0]);
}
