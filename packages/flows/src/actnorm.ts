/** ActNorm (Kingma & Dhariwal 2018): a per-channel affine map initialized from the data. */
import * as tf from '@tensorflow/tfjs-core';
import { FlowLayer, perSample } from './flow-layer';
import type { FlowForward, FlowInverse } from './flow-layer';

/**
 * y = (x + bias)·exp(logs) per channel, logdet = H·W·Σ logs.
 *
 * The first `forward` initializes it from its batch (bias = −mean, logs = log(1/(std + 1e-6))
 * over N, H, W, std biased) so that its output starts with zero mean and unit variance per
 * channel. The `initialized` buffer records this, so a model loaded from a checkpoint is not
 * initialized again.
 */
export class ActNorm extends FlowLayer {
  readonly bias: tf.Variable;
  readonly logs: tf.Variable;
  /** 1 once initialized from data, else 0. Saved with the state dict. */
  readonly initialized: tf.Variable;
  /** The flag as last read from `initialized`, and the storage it was read from. */
  private flagCache: { dataId: object; value: boolean } | null = null;

  constructor(readonly channels: number) {
    super();
    this.bias = this.addParameter('bias', tf.zeros([channels]));
    this.logs = this.addParameter('logs', tf.zeros([channels]));
    this.initialized = this.addBuffer('initialized', tf.scalar(0));
  }

  /** Whether the data-dependent initialization has happened (read from the host only after a load). */
  get isInitialized(): boolean {
    // `assign` (loadStateDict, initialization) gives the variable new storage, so comparing
    // storage identities tells when the cached flag is stale without a read per forward.
    const dataId = this.initialized.dataId as object;
    if (this.flagCache?.dataId !== dataId) {
      this.flagCache = { dataId, value: this.initialized.dataSync()[0] === 1 };
    }
    return this.flagCache.value;
  }

  forward(x: tf.Tensor4D): FlowForward {
    if (!this.isInitialized) this.initializeFrom(x);
    const y = tf.mul<tf.Tensor4D>(tf.add(x, this.bias), tf.exp(this.logs));
    return {
      y,
      logdet: perSample(tf.mul<tf.Scalar>(tf.sum(this.logs), x.shape[1] * x.shape[2]), x.shape[0]),
    };
  }

  inverse(y: tf.Tensor4D): FlowInverse {
    // Dividing by the very exp(logs) the forward multiplied by undoes it to within rounding.
    const x = tf.sub<tf.Tensor4D>(tf.div(y, tf.exp(this.logs)), this.bias);
    return {
      x,
      logdet: perSample(tf.mul<tf.Scalar>(tf.sum(this.logs), -y.shape[1] * y.shape[2]), y.shape[0]),
    };
  }

  private initializeFrom(x: tf.Tensor4D): void {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      this.bias.assign(tf.neg(mean));
      this.logs.assign(tf.neg(tf.log(tf.add(tf.sqrt(variance), 1e-6))));
      this.initialized.assign(tf.scalar(1));
    });
  }
}
