/**
 * Invertible 1×1 convolutions (Kingma & Dhariwal 2018): a learned C×C channel mixing applied at
 * every pixel, y = W·x. Applied as one matMul over all pixels (faster than a 1×1 conv and its
 * gradients on every backend). The inverse uses W⁻¹ computed in float64 on the host, because
 * tfjs has no matrix inverse; it is recomputed only when the weights change. The inverse is
 * differentiable in its input (as latent-space attacks need) but not in the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@perturb/core';
import { FlowLayer, perSample } from './flow-layer';
import type { FlowForward, FlowInverse } from './flow-layer';
import type { Matrix } from './linalg';
import {
  identity,
  invert,
  logAbsDet,
  luDecompose,
  matrix,
  multiply,
  orthogonalFactor,
  permutationMatrix,
} from './linalg';

/** A uniformly random C×C orthogonal matrix from `rng` (QR of a Gaussian, in float64). */
function randomOrthogonal(rng: Rng, channels: number): Matrix {
  const gaussian = new Float64Array(channels * channels);
  for (let i = 0; i < gaussian.length; i++) gaussian[i] = rng.normal();
  return orthogonalFactor({ n: channels, data: gaussian });
}

/** Applies y = W·x at every pixel: x [N,H,W,C], w [C_out, C_in]. */
function mixChannels(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
  const [n, h, width, c] = x.shape;
  const flat = tf.reshape(x, [n * h * width, c]) as tf.Tensor2D;
  // An explicit transpose of the small W keeps the matMul on XNNPACK (wasm runs transposed
  // operands in a naive loop).
  return tf.reshape(tf.matMul(flat, tf.transpose(w)), [n, h, width, c]);
}

/**
 * W⁻¹ as a kept float32 tensor, recomputed from the host values of some variables only when
 * their storage changed (every `assign`, from an optimizer or a checkpoint load, gives a
 * variable new storage).
 */
class InverseCache {
  private key: readonly object[] = [];
  private value: tf.Tensor2D | null = null;

  get(sources: readonly tf.Variable[], weightOnHost: () => Matrix): tf.Tensor2D {
    const key = sources.map((v) => v.dataId as object);
    if (this.value === null || key.some((id, i) => id !== this.key[i])) {
      const inverse = invert(weightOnHost());
      this.value?.dispose();
      this.value = tf.keep(tf.tensor2d(Float32Array.from(inverse.data), [inverse.n, inverse.n]));
      this.key = key;
    }
    return this.value;
  }

  dispose(): void {
    this.value?.dispose();
    this.value = null;
  }
}

/** Reads a variable as a float64 matrix. */
function hostMatrix(v: tf.Variable): Matrix {
  return matrix(v.shape[0], v.dataSync());
}

/**
 * log|det W| as a differentiable scalar: the value is computed in float64 on the host and the
 * gradient is W⁻ᵀ. A host round trip per call, so meant for inference or small C.
 */
const logAbsDetOnHost = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [w] = args as [tf.Tensor2D];
  const host = matrix(w.shape[0], w.dataSync());
  return {
    value: tf.scalar(logAbsDet(host)),
    gradFunc: (dy: tf.Tensor) => {
      const inverse = invert(host);
      return tf.mul(dy, tf.transpose(tf.tensor2d(Float32Array.from(inverse.data), [host.n, host.n])));
    },
  };
});

/**
 * The plain invertible 1×1 convolution: W is a free C×C parameter, initialized to a random
 * orthogonal matrix. Its logdet H·W·log|det W| is computed on the host in float64 on every
 * forward (one device-to-host read): prefer `InvConv1x1LU` for training.
 */
export class InvConv1x1 extends FlowLayer {
  /** W, [C_out, C_in]. */
  readonly weight: tf.Variable;
  private readonly inverseCache = new InverseCache();

  constructor(
    rng: Rng,
    readonly channels: number,
  ) {
    super();
    const w = randomOrthogonal(rng, channels);
    this.weight = this.addParameter('weight', tf.tensor2d(Float32Array.from(w.data), [channels, channels]));
  }

  forward(x: tf.Tensor4D): FlowForward {
    const logdet = tf.mul<tf.Scalar>(logAbsDetOnHost(this.weight) as tf.Scalar, x.shape[1] * x.shape[2]);
    return { y: mixChannels(x, this.weight as tf.Tensor2D), logdet: perSample(logdet, x.shape[0]) };
  }

  inverse(y: tf.Tensor4D): FlowInverse {
    const inverse = this.inverseCache.get([this.weight], () => hostMatrix(this.weight));
    const logdet = tf.mul<tf.Scalar>(logAbsDetOnHost(this.weight) as tf.Scalar, -y.shape[1] * y.shape[2]);
    return { x: mixChannels(y, inverse), logdet: perSample(logdet, y.shape[0]) };
  }

  override dispose(): void {
    this.inverseCache.dispose();
    super.dispose();
  }
}

/**
 * The LU-decomposed invertible 1×1 convolution, Glow's default:
 * W = P·L·(U + diag(sign(s)·exp(logS))) with P a fixed permutation, L unit lower triangular and
 * U strictly upper triangular, so logdet = H·W·Σ logS is cheap and differentiable on the device.
 * Initialized from the LU decomposition of a random orthogonal matrix.
 */
export class InvConv1x1LU extends FlowLayer {
  /** Strictly lower part of L (the rest is masked out). */
  readonly lower: tf.Variable;
  /** Strictly upper part of U (the rest is masked out). */
  readonly upper: tf.Variable;
  /** log|s|, the log-magnitudes of U's diagonal. */
  readonly logS: tf.Variable;
  /** The fixed permutation P, [C, C]. */
  readonly permutation: tf.Variable;
  /** sign(s), fixed. */
  readonly signS: tf.Variable;
  private readonly lowerMask: tf.Tensor2D;
  private readonly upperMask: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;
  private readonly inverseCache = new InverseCache();

  constructor(
    rng: Rng,
    readonly channels: number,
  ) {
    super();
    const c = channels;
    const lu = luDecompose(randomOrthogonal(rng, c));
    const diagonal = Array.from({ length: c }, (_, i) => lu.upper.data[i * c + i]);
    const strictUpper = Float32Array.from(lu.upper.data, (v, k) => (k % c > Math.floor(k / c) ? v : 0));
    const strictLower = Float32Array.from(lu.lower.data, (v, k) => (k % c < Math.floor(k / c) ? v : 0));
    this.lower = this.addParameter('lower', tf.tensor2d(strictLower, [c, c]));
    this.upper = this.addParameter('upper', tf.tensor2d(strictUpper, [c, c]));
    this.logS = this.addParameter('logS', tf.tensor1d(diagonal.map((s) => Math.log(Math.abs(s)))));
    this.permutation = this.addBuffer(
      'permutation',
      tf.tensor2d(Float32Array.from(permutationMatrix(lu.perm).data), [c, c]),
    );
    this.signS = this.addBuffer('signS', tf.tensor1d(diagonal.map(Math.sign)));
    this.lowerMask = tf.keep(
      tf.tensor2d(
        Float32Array.from({ length: c * c }, (_, k) => (k % c < Math.floor(k / c) ? 1 : 0)),
        [c, c],
      ),
    );
    this.upperMask = tf.keep(tf.transpose(this.lowerMask));
    this.eye = tf.keep(tf.eye(c));
  }

  /** W as a tensor, differentiable in `lower`, `upper` and `logS`. */
  weight(): tf.Tensor2D {
    return tf.tidy(() => {
      const l = tf.add(tf.mul(this.lower, this.lowerMask), this.eye) as tf.Tensor2D;
      const u = tf.add(
        tf.mul(this.upper, this.upperMask),
        tf.mul(this.eye, tf.mul(this.signS, tf.exp(this.logS))),
      ) as tf.Tensor2D;
      return tf.matMul(this.permutation as tf.Tensor2D, tf.matMul(l, u));
    });
  }

  forward(x: tf.Tensor4D): FlowForward {
    const logdet = tf.mul<tf.Scalar>(tf.sum(this.logS), x.shape[1] * x.shape[2]);
    return { y: mixChannels(x, this.weight()), logdet: perSample(logdet, x.shape[0]) };
  }

  inverse(y: tf.Tensor4D): FlowInverse {
    const sources = [this.lower, this.upper, this.logS, this.permutation, this.signS];
    const inverse = this.inverseCache.get(sources, () => this.weightOnHost());
    const logdet = tf.mul<tf.Scalar>(tf.sum(this.logS), -y.shape[1] * y.shape[2]);
    return { x: mixChannels(y, inverse), logdet: perSample(logdet, y.shape[0]) };
  }

  /** W in float64 from the float32 parameters, so W⁻¹ is as exact as the parameters allow. */
  private weightOnHost(): Matrix {
    const c = this.channels;
    const [lower, upper, logS, sign] = [this.lower, this.upper, this.logS, this.signS].map((v) =>
      v.dataSync(),
    );
    const l = identity(c);
    const u = { n: c, data: new Float64Array(c * c) };
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        if (j < i) l.data[i * c + j] = lower[i * c + j];
        else if (j > i) u.data[i * c + j] = upper[i * c + j];
      }
      u.data[i * c + i] = sign[i] * Math.exp(logS[i]);
    }
    return multiply(hostMatrix(this.permutation), multiply(l, u));
  }

  override dispose(): void {
    this.inverseCache.dispose();
    tf.dispose([this.lowerMask, this.upperMask, this.eye]);
    super.dispose();
  }
}
