/**
 * The first panel's computation, free of the DOM: LA-Glow's two latent perturbations of one
 * image (through @perturb/latent-flow's augmenters, exactly as training applies them) and the
 * classifier's view of the image before and after.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, type Classifier, Rng, stepContext } from '@perturb/core';
import type { Glow } from '@perturb/flows';
import { latentAdversarial, latentRandom } from '@perturb/latent-flow';

export type PerturbationMode = 'random' | 'adversarial';

/** What the page asks for. */
export interface PerturbationRequest {
  /** The image, 28·28 values in [0, 1]. */
  image: Float32Array;
  /** Its true class. */
  label: number;
  mode: PerturbationMode;
  /** ε: the noise's standard deviation (random) or the L∞ radius of PGD (adversarial), in latent units. */
  epsilon: number;
  /** Seeds the noise (random) or PGD's random start (adversarial). */
  seed: number;
}

/** What the page shows. */
export interface PerturbationView {
  /** x' = clamp(F⁻¹(F(x) + δ), 0, 1). */
  perturbed: Float32Array;
  /** x' − x. */
  difference: Float32Array;
  /** Class probabilities of x and of x'. */
  original: Float32Array;
  after: Float32Array;
}

/** PGD steps of the adversarial mode; the step size is ε / 4, so 8 steps can reach the corners. */
export const ADVERSARIAL_STEPS = 8;

export class LatentExplorer {
  constructor(
    readonly flow: Glow,
    readonly classifier: Classifier,
  ) {}

  /** max |F⁻¹(F(x)) − x| over the images `[n, 28, 28, 1]`: how exactly the flow inverts. */
  roundTripError(images: tf.Tensor4D): number {
    return tf.tidy(() => {
      const { latents } = this.flow.encode(images);
      return tf.max(tf.abs(tf.sub(this.flow.decode(latents), images))).dataSync()[0];
    });
  }

  perturb(request: PerturbationRequest): PerturbationView {
    const augmenter = this.augmenter(request.mode, request.epsilon);
    const numClasses = this.classifier.numClasses;
    return tf.tidy(() => {
      const x = tf.tensor4d(request.image, [1, 28, 28, 1]);
      const y = tf.cast(tf.oneHot([request.label], numClasses), 'float32') as tf.Tensor2D;
      const ctx = stepContext(this.classifier, new Rng(request.seed), { step: 0, epoch: 1 });
      const perturbed = augmenter.transform!({ x, y }, ctx).x;
      const probabilities = (images: tf.Tensor4D) =>
        tf.softmax(this.classifier.logits(images, { training: false })).dataSync() as Float32Array;
      return {
        perturbed: perturbed.dataSync() as Float32Array,
        difference: tf.sub(perturbed, x).dataSync() as Float32Array,
        original: probabilities(x),
        after: probabilities(perturbed),
      };
    });
  }

  private augmenter(mode: PerturbationMode, epsilon: number): Augmenter {
    const { flow } = this;
    if (mode === 'random') return latentRandom({ flow, epsilon });
    // Against the true label, from δ = 0: the smallest ε that flips the class is what a person
    // looks for, and a random start would blur it.
    return latentAdversarial({
      flow,
      norm: 'linf',
      epsilon,
      stepSize: epsilon / 4,
      steps: ADVERSARIAL_STEPS,
      randomStart: false,
      labels: 'true',
      bnMode: 'eval',
    });
  }
}

/** The most likely class of `probabilities`. */
export function topClass(probabilities: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[best]) best = i;
  return best;
}
