/**
 * The Gaussian priors of a multi-scale Glow: one per split (conditioned on the half that stays
 * in the flow) and one on the top latent (learned, optionally class-conditional).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { ZeroConv2d } from './coupling';
import type { ConvGradients } from './conv';

const LOG_2PI = Math.log(2 * Math.PI);

/** A diagonal Gaussian over NHWC latents; `null` parameters mean N(0, I). */
export interface Gaussian {
  mean: tf.Tensor4D | null;
  logStd: tf.Tensor4D | null;
}

/** log N(z; mean, exp(logStd)²) summed per sample, shape [N]. */
export function gaussianLogProb(z: tf.Tensor4D, { mean, logStd }: Gaussian): tf.Tensor1D {
  if (mean === null || logStd === null) {
    return tf.mul<tf.Tensor1D>(
      tf.add(tf.sum(tf.square(z), [1, 2, 3]), LOG_2PI * (z.size / z.shape[0])),
      -0.5,
    );
  }
  const standardized = standardize(z, { mean, logStd });
  const perElement = tf.add(tf.mul(logStd, 2), tf.square(standardized));
  return tf.mul<tf.Tensor1D>(tf.add(tf.sum(perElement, [1, 2, 3]), LOG_2PI * (z.size / z.shape[0])), -0.5);
}

/** mean + temperature·exp(logStd)·ε, with ε ~ N(0, I) drawn from `rng` on the host. */
export function gaussianSample(
  shape: number[],
  { mean, logStd }: Gaussian,
  temperature: number,
  rng: Rng,
): tf.Tensor4D {
  const noise = tf.mul(rng.normalTensor(shape), temperature) as tf.Tensor4D;
  if (mean === null || logStd === null) return noise;
  return tf.add<tf.Tensor4D>(mean, tf.mul(noise, tf.exp(logStd)));
}

/** u = (z − mean)/exp(logStd): z whitened by its prior, N(0, I) under the model. */
export function standardize(z: tf.Tensor4D, { mean, logStd }: Gaussian): tf.Tensor4D {
  if (mean === null || logStd === null) return z;
  return tf.mul(tf.sub(z, mean), tf.exp(tf.neg(logStd)));
}

/** The inverse of `standardize`: z = mean + exp(logStd)·u. */
export function unstandardize(u: tf.Tensor4D, { mean, logStd }: Gaussian): tf.Tensor4D {
  if (mean === null || logStd === null) return u;
  return tf.add(mean, tf.mul(u, tf.exp(logStd)));
}

/** Whether a prior is learned or fixed at N(0, I). */
export type PriorKind = 'learned' | 'standard';

/**
 * The split at the end of a level: the second half of the channels leaves the flow as the
 * level's latent z, the first half (`kept`) continues. With a learned prior, z ~ N(mean, std²)
 * where (mean, log std) = ZeroConv2d(kept), so it starts as N(0, I).
 */
export class SplitPrior extends Module {
  readonly net: ZeroConv2d | null;

  /** @param channels the channels before the split (even). */
  constructor(
    rng: Rng,
    readonly channels: number,
    kind: PriorKind,
  ) {
    super();
    this.net = kind === 'learned' ? this.addModule('net', new ZeroConv2d(rng, channels / 2, channels)) : null;
  }

  split(h: tf.Tensor4D): { kept: tf.Tensor4D; z: tf.Tensor4D } {
    const [kept, z] = tf.split(h, 2, 3) as tf.Tensor4D[];
    return { kept, z };
  }

  merge(kept: tf.Tensor4D, z: tf.Tensor4D): tf.Tensor4D {
    return tf.concat4d([kept, z], 3);
  }

  /** The distribution of z given the kept half; `gradients`: see `ConvGradients` (default `'all'`). */
  distribution(kept: tf.Tensor4D, gradients: ConvGradients = 'all'): Gaussian {
    if (this.net === null) return { mean: null, logStd: null };
    const [mean, logStd] = tf.split(this.net.forward(kept, gradients), 2, 3) as tf.Tensor4D[];
    return { mean, logStd };
  }
}

/**
 * The prior of the top latent, shape [H, W, C]. Learned ("learn-top"): a mean and log std per
 * position and channel, starting at zero, so N(0, I) at first (OpenAI's zero conv over zeros is a
 * special case). With `numClasses > 0`, a zero-initialized linear map of the one-hot label adds a
 * per-channel offset to both.
 */
export class TopPrior extends Module {
  readonly meanLogStd: tf.Variable | null;
  readonly classWeight: tf.Variable | null;

  constructor(
    readonly shape: readonly [number, number, number],
    kind: PriorKind,
    readonly numClasses = 0,
  ) {
    super();
    const [h, w, c] = shape;
    this.meanLogStd = kind === 'learned' ? this.addParameter('meanLogStd', tf.zeros([1, h, w, 2 * c])) : null;
    this.classWeight =
      numClasses > 0 ? this.addParameter('classWeight', tf.zeros([numClasses, 2 * c])) : null;
  }

  /**
   * The distribution of the top latent (broadcastable to [N, H, W, C]); `condition` (one-hot
   * labels [N, classes]) is required when the prior is class-conditional and ignored otherwise.
   */
  distribution(condition?: tf.Tensor2D): Gaussian {
    let params = this.meanLogStd as tf.Tensor4D | null;
    if (this.classWeight !== null) {
      const labels = condition;
      if (labels === undefined) {
        throw new PerturbError(
          'this Glow has a class-conditional prior but no condition was given',
          'pass one-hot labels of shape [N, numClasses] as the condition option',
        );
      }
      const byClass = tf.reshape(tf.matMul(labels, this.classWeight as tf.Tensor2D), [
        labels.shape[0],
        1,
        1,
        -1,
      ]);
      params = params === null ? (byClass as tf.Tensor4D) : tf.add<tf.Tensor4D>(params, byClass);
    }
    if (params === null) return { mean: null, logStd: null };
    const [mean, logStd] = tf.split(params, 2, 3) as tf.Tensor4D[];
    return { mean, logStd };
  }
}
