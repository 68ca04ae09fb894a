/** A fixed permutation of the channels: volume preserving, so its logdet is 0. */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { FlowLayer, perSample } from './flow-layer';
import type { FlowForward, FlowInverse } from './flow-layer';

/**
 * y[..., i] = x[..., order[i]]. The order is a constant of the architecture, not a parameter:
 * `Permute.random(rng, C)` draws it from a seeded stream (FrEIA's `PermuteRandom`, which
 * flow-lp's fully connected flow puts after every coupling block), so a checkpoint's seed
 * recreates it.
 */
export class Permute extends FlowLayer {
  readonly order: Int32Array;
  private readonly inverseOrder: Int32Array;

  constructor(order: ArrayLike<number>) {
    super();
    this.order = Int32Array.from(order);
    this.inverseOrder = new Int32Array(this.order.length).fill(-1);
    this.order.forEach((from, to) => {
      if (!(from >= 0 && from < this.order.length) || this.inverseOrder[from] !== -1) {
        throw new PerturbError(
          `[${Array.from(this.order).join(', ')}] is not a permutation of 0…${this.order.length - 1}`,
          'list every channel index exactly once',
        );
      }
      this.inverseOrder[from] = to;
    });
  }

  /** A uniformly random order of `channels` channels, drawn from `rng`. */
  static random(rng: Rng, channels: number): Permute {
    return new Permute(rng.permutation(channels));
  }

  forward(x: tf.Tensor4D): FlowForward {
    return { y: this.apply(x, this.order), logdet: perSample(tf.scalar(0), x.shape[0]) };
  }

  inverse(y: tf.Tensor4D): FlowInverse {
    return { x: this.apply(y, this.inverseOrder), logdet: perSample(tf.scalar(0), y.shape[0]) };
  }

  private apply(t: tf.Tensor4D, order: Int32Array): tf.Tensor4D {
    if (t.shape[3] !== order.length) {
      throw new PerturbError(
        `this permutation orders ${order.length} channels but the input has ${t.shape[3]}`,
        'build the permutation for the channels of the tensor it is applied to',
      );
    }
    return tf.gather(t, tf.tensor1d(order, 'int32'), 3);
  }
}
