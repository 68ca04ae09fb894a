import * as tf from '@tensorflow/tfjs-core';

/** Number of rows whose argmax of `logits` equals the argmax of `y`. */
export function countCorrect(logits: tf.Tensor2D, y: tf.Tensor2D): number {
  return tf.tidy(
    () => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')).dataSync()[0],
  );
}
