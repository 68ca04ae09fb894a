/**
 * The space a Glow models images in, between images x ∈ [0, 1] and the flow's input h:
 * `'centered'`, h = x − 0.5 (OpenAI Glow; unit Jacobian), or `'logit'`, flow-lp's bounded logit
 * h = logit(0.05 + 0.9·x) (Real NVP §4.1 with flow-lp's bound 0.9), which stretches values near
 * 0 and 1 so that a latent step moves a black background as much as a mid-grey.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Where the flow starts; see the module comment. */
export type DataSpace = 'centered' | 'logit';

/**
 * What `decode` returns in the logit space: `'image'`, the exact inverse (σ(h) − 0.05)/0.9;
 * `'bounded'`, σ(h) = 0.05 + 0.9·x, what flow-lp's flow returns (its augmented images keep the
 * squeezed range). The centered space has one inverse, so both give x there.
 */
export type DecodeRange = 'image' | 'bounded';

/** The bound b of flow-lp's logit: images map to 0.5 + b·(x − 0.5) = 0.05 + 0.9·x before the logit. */
const BOUND = 0.9;
const LOW = (1 - BOUND) / 2;

/** x ∈ [0, 1] → (h, per-sample log|det ∂h/∂x|). */
export function toFlowSpace(x: tf.Tensor4D, space: DataSpace): { h: tf.Tensor4D; logdet: tf.Tensor1D } {
  if (space === 'centered') return { h: tf.sub(x, 0.5), logdet: tf.zeros([x.shape[0]]) };
  const p = tf.add(tf.mul(x, BOUND), LOW);
  const h = tf.sub(tf.log(p), tf.log1p(tf.neg(p))) as tf.Tensor4D;
  // dh/dx = b / (p(1 − p)), per element.
  const perElement = tf.sub(Math.log(BOUND), tf.add(tf.log(p), tf.log1p(tf.neg(p))));
  return { h, logdet: tf.sum<tf.Tensor1D>(perElement, [1, 2, 3]) };
}

/** The flow's h → images (not clamped), as `range` says. */
export function fromFlowSpace(h: tf.Tensor4D, space: DataSpace, range: DecodeRange = 'image'): tf.Tensor4D {
  if (space === 'centered') return tf.add(h, 0.5);
  const p = tf.sigmoid(h) as tf.Tensor4D;
  return range === 'bounded' ? p : tf.div(tf.sub(p, LOW), BOUND);
}
