/** Squeeze: the 2×2 space-to-depth rearrangement between the levels of a multi-scale flow. */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import { FlowLayer } from './flow-layer';
import type { FlowForward, FlowInverse } from './flow-layer';

/**
 * [N, H, W, C] → [N, H/2, W/2, 4C], moving each 2×2 block of pixels into channels. Channel
 * (dy·2 + dx)·C + c of the output holds pixel (2h + dy, 2w + dx), channel c, of the input, the
 * order of `tf.depthToSpace`, and the inverse reads it back in the same order. A pure
 * permutation: logdet 0, exactly invertible.
 *
 * Done with one rank-4 transpose: the row pair (dy) is a separate axis after a reshape, while
 * the column pair (dx) stays adjacent to the channels.
 */
export class Squeeze extends FlowLayer {
  forward(x: tf.Tensor4D): FlowForward {
    const [n, h, w, c] = x.shape;
    if (h % 2 !== 0 || w % 2 !== 0) {
      throw new PerturbError(
        `cannot squeeze a ${h}×${w} input: height and width must be even`,
        'pad or crop the images so that their size is divisible by 2 to the number of levels',
      );
    }
    const rows = tf.reshape(x, [n * (h / 2), 2, w / 2, 2 * c]);
    const y = tf.reshape<tf.Rank.R4>(tf.transpose(rows, [0, 2, 1, 3]), [n, h / 2, w / 2, 4 * c]);
    return { y, logdet: tf.zeros([n]) };
  }

  inverse(y: tf.Tensor4D): FlowInverse {
    const [n, h, w, c4] = y.shape;
    const blocks = tf.reshape(y, [n * h, w, 2, c4 / 2]);
    const x = tf.reshape<tf.Rank.R4>(tf.transpose(blocks, [0, 2, 1, 3]), [n, h * 2, w * 2, c4 / 4]);
    return { x, logdet: tf.zeros([n]) };
  }
}
