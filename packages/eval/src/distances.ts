/** How far an augmenter moved each image: the size of the perturbation it added. */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, perturbationNorms } from '@perturb/core';

/** Per-image L∞ and L2 distances between clean and augmented images. */
export interface ImageDistances {
  /** max |x' − x| over all pixels and channels of each image. */
  linf: number[];
  /** ‖x' − x‖₂ over all pixels and channels of each image. */
  l2: number[];
}

/** The L∞ and L2 distance of each augmented image [N, H, W, C] from its clean image (inputs are not disposed). */
export function imageDistances(clean: tf.Tensor4D, augmented: tf.Tensor4D): ImageDistances {
  if (!clean.shape.every((size, axis) => size === augmented.shape[axis])) {
    throw new PerturbError(
      `augmented images of shape [${augmented.shape}] do not match clean images [${clean.shape}]`,
      'measure distances only for augmenters that keep the batch shape (no mixing with extra samples)',
    );
  }
  const [linf, l2] = tf.tidy(() => {
    const delta = tf.sub(augmented, clean);
    return [perturbationNorms([delta], 'linf'), perturbationNorms([delta], 'l2')];
  });
  try {
    return { linf: Array.from(linf.dataSync()), l2: Array.from(l2.dataSync()) };
  } finally {
    tf.dispose([linf, l2]);
  }
}
