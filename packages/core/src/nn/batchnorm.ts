import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';
import { channelAffine, channelMeans, channelSums, scaleShift } from './channelwise';

/** Settings of a {@link BatchNorm2d}. */
export interface BatchNorm2dOptions {
  /** Weight of the new batch statistics in the running averages (PyTorch convention). Default 0.1. */
  momentum?: number;
  /** Added to the variance before its square root, for numerical stability. Default 1e-5. */
  epsilon?: number;
}

/**
 * Batch normalization over N, H, W of NHWC inputs, as PyTorch's `BatchNorm2d`: batch statistics
 * in training mode (running averages updated with the unbiased variance), running statistics
 * in eval mode.
 *
 * The training-mode gradient is the closed form dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)):
 * tfjs-core's own gradient of batchNorm materializes every broadcast with `tile`, which made it
 * the largest cost of a ResNet step on wasm. Both directions use only per-channel reductions
 * and per-channel affine maps (see `channelwise.ts`), the fast forms on wasm. Eval mode is one
 * such affine map, so attacks on a model in eval mode (input gradients) avoid `tile` too.
 */
export class BatchNorm2d extends Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(channels: number, options: BatchNorm2dOptions = {}) {
    super();
    this.momentum = options.momentum ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-5;
    this.gamma = this.addParameter('gamma', tf.ones([channels]));
    this.beta = this.addParameter('beta', tf.zeros([channels]));
    this.runningMean = this.addBuffer('runningMean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('runningVar', tf.ones([channels]));
  }

  /** `training` defaults to the module's mode. */
  forward(x: tf.Tensor4D, training = this.training): tf.Tensor4D {
    if (!training) {
      // The running statistics make it one affine map; tf.batchNorm's gradient would tile.
      const scale = tf.mul(this.gamma, tf.rsqrt(tf.add(this.runningVar, this.epsilon))) as tf.Tensor1D;
      const shift = tf.sub(this.beta, tf.mul(this.runningMean, scale)) as tf.Tensor1D;
      return channelAffine(x, scale, shift);
    }
    const { y, mean, variance } = normalizeWithBatchStats(x, this.gamma, this.beta, this.epsilon);
    this.updateRunningStats(mean, variance, x.size / x.shape[3]);
    return y;
  }

  private updateRunningStats(mean: tf.Tensor1D, variance: tf.Tensor1D, count: number): void {
    tf.tidy(() => {
      const m = this.momentum;
      const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    });
  }
}

/**
 * Batch-statistics normalization with the closed-form gradient; also returns the (biased)
 * moments. Every full-size pass is a per-channel reduction or a 1×1 depthwise convolution
 * (`scaleShift`), the fast forms on wasm: 5 passes forward, 6 backward.
 */
function normalizeWithBatchStats(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const count = x.size / x.shape[3];
  const mean = channelMeans(x);
  const centered = scaleShift(x, tf.onesLike(mean), tf.neg(mean));
  const variance = channelMeans(tf.square(centered));
  const invStd = tf.rsqrt(tf.add(variance, epsilon));
  const normalize = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const scale = tf.mul(g, invStd);
    save([centered, invStd, scale]);
    return {
      value: scaleShift(centered, scale, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xc, invStdSaved, scaleSaved] = saved;
        // dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) with x̂ = xc/σ, as two affine passes and an add.
        const sumDy = channelSums(dy);
        const sumDyXc = channelSums(tf.mul(dy, xc));
        const dyPart = scaleShift(dy, scaleSaved, tf.mul(scaleSaved, tf.div(sumDy, -count)));
        const xcPart = scaleShift(
          xc,
          tf.mul(scaleSaved, tf.mul(tf.square(invStdSaved), tf.div(sumDyXc, -count))),
        );
        return [tf.add(dyPart, xcPart), tf.mul(sumDyXc, invStdSaved), sumDy];
      },
    };
  });
  const y = normalize(x, gamma, beta) as tf.Tensor4D;
  return { y, mean, variance };
}
