/**
 * The feature pyramid network (Lin et al., CVPR 2017) as torchvision builds it for Faster R-CNN:
 * a 1×1 lateral conv per backbone stage, a top-down path of nearest-neighbour 2× upsampling
 * added to the laterals, a 3×3 output conv per level, and one extra level max-pooled (kernel 1,
 * stride 2) from the coarsest output (`LastLevelMaxPool`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module } from '@perturb/core';
import type { Rng } from '@perturb/core';

/** Nearest-neighbour 2× upsampling of NHWC features, by reshapes and tiles (exact gradients). */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const columns = tf.tile(tf.reshape(x, [n * h, w, 1, c]), [1, 1, 2, 1]);
  const rows = tf.tile(tf.reshape(columns, [n * h, 1, 2 * w * c]), [1, 2, 1]);
  return tf.reshape(rows, [n, 2 * h, 2 * w, c]);
}

/** A feature pyramid over backbone stages: every output level has `channels` channels. */
export class FeaturePyramid extends Module {
  private readonly lateral: Conv2d[];
  private readonly output: Conv2d[];

  /** @param inChannels channels of each backbone stage it reads, finest first. */
  constructor(rng: Rng, inChannels: readonly number[], channels: number) {
    super();
    this.lateral = inChannels.map((cin, l) =>
      this.addModule(`lateral${l}`, new Conv2d(rng.child(`lateral${l}`), cin, channels, { kernelSize: 1 })),
    );
    this.output = inChannels.map((_, l) =>
      this.addModule(`output${l}`, new Conv2d(rng.child(`output${l}`), channels, channels, {})),
    );
  }

  /**
   * Pyramid levels, finest first: one per backbone stage of `features` (finest first, each half
   * the previous one's size), then the pooled extra level.
   */
  forward(features: readonly tf.Tensor4D[]): tf.Tensor4D[] {
    const last = features.length - 1;
    let inner = this.lateral[last].forward(features[last]);
    const levels = [this.output[last].forward(inner)];
    for (let l = last - 1; l >= 0; l--) {
      inner = tf.add(this.lateral[l].forward(features[l]), upsampleNearest2x(inner));
      levels.unshift(this.output[l].forward(inner));
    }
    levels.push(tf.maxPool(levels[last], 1, 2, 'valid'));
    return levels;
  }
}
