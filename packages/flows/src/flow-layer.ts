/**
 * The contract every invertible layer of a flow fulfils, and `Sequential`, the composition that
 * is itself a layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@perturb/core';

/** What `FlowLayer.forward` returns. */
export interface FlowForward {
  /** The transformed tensor, NHWC. */
  y: tf.Tensor4D;
  /** log|det ∂y/∂x| per sample, shape [N]. */
  logdet: tf.Tensor1D;
}

/** What `FlowLayer.inverse` returns. */
export interface FlowInverse {
  /** The reconstructed input, NHWC. */
  x: tf.Tensor4D;
  /** log|det ∂x/∂y| per sample, shape [N]: the negative of the forward logdet. */
  logdet: tf.Tensor1D;
}

/**
 * An invertible map between NHWC tensors with a tractable log-Jacobian-determinant.
 * `inverse(forward(x, c).y, c).x` equals `x` up to float32 rounding. `condition` ([N, E], a
 * one-hot label or any embedding) is what a conditional layer's map depends on besides its
 * input; layers that are not conditional ignore it.
 */
export abstract class FlowLayer extends Module {
  abstract forward(x: tf.Tensor4D, condition?: tf.Tensor2D): FlowForward;
  abstract inverse(y: tf.Tensor4D, condition?: tf.Tensor2D): FlowInverse;
}

/** A per-sample logdet of shape [N] from one that is the same for every sample. */
export function perSample(logdet: tf.Scalar, batch: number): tf.Tensor1D {
  // A broadcasting add: its gradient is one sum (a multiply's would add casts and products).
  return tf.add(tf.zeros([batch]), logdet);
}

/** Layers applied in order; the inverse applies their inverses in reverse order. */
export class Sequential extends FlowLayer {
  readonly layers: readonly FlowLayer[];

  /** Registers the layers as children named `0`, `1`, … */
  constructor(layers: readonly FlowLayer[]) {
    super();
    this.layers = layers.map((layer, i) => this.addModule(String(i), layer));
  }

  forward(x: tf.Tensor4D, condition?: tf.Tensor2D): FlowForward {
    let y = x;
    const logdets: tf.Tensor1D[] = [];
    for (const layer of this.layers) {
      // Each layer in its own tidy: its intermediates (the coupling networks' wide hidden
      // activations) are freed as soon as it returns, so inference holds only the layer outputs
      // (under a gradient tape the tape keeps what the backward pass needs).
      const out = tf.tidy(() => {
        const { y: next, logdet } = layer.forward(y, condition);
        return { y: next, logdet };
      });
      y = out.y;
      logdets.push(out.logdet);
    }
    return { y, logdet: sumLogdets(logdets, x.shape[0]) };
  }

  inverse(y: tf.Tensor4D, condition?: tf.Tensor2D): FlowInverse {
    let x = y;
    const logdets: tf.Tensor1D[] = [];
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const out = tf.tidy(() => {
        const { x: previous, logdet } = this.layers[i].inverse(x, condition);
        return { x: previous, logdet };
      });
      x = out.x;
      logdets.push(out.logdet);
    }
    return { x, logdet: sumLogdets(logdets, y.shape[0]) };
  }
}

/** The sum of per-sample logdets, in one op. */
export function sumLogdets(logdets: tf.Tensor1D[], batch: number): tf.Tensor1D {
  if (logdets.length === 0) return tf.zeros([batch]);
  return logdets.length === 1 ? logdets[0] : tf.addN(logdets);
}
