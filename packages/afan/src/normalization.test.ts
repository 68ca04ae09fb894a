import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adversarialFeatureNormalization, channelMoments } from './normalization';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Clean and adversarial features with clearly different moments. */
function featurePair(): { clean: tf.Tensor4D; adversarial: tf.Tensor4D } {
  const rng = new Rng(11);
  return {
    clean: rng.normalTensor([2, 3, 4, 8], 0.5, 1) as tf.Tensor4D,
    adversarial: rng.normalTensor([2, 3, 4, 8], -1, 2.5) as tf.Tensor4D,
  };
}

describe('adversarial feature normalization', () => {
  it('gives the clean features exactly the adversarial moments, per sample and position', () => {
    const { clean, adversarial } = featurePair();
    const mixed = adversarialFeatureNormalization(clean, adversarial);
    const target = channelMoments(adversarial);
    const got = channelMoments(mixed);
    expect(got.mean.shape).toEqual([2, 3, 4, 1]);
    expect(maxDifference(got.mean, target.mean)).toBeLessThan(1e-4);
    expect(maxDifference(got.std, target.std)).toBeLessThan(1e-4);
    // The moments really differ before mixing, so the check above is not vacuous.
    expect(maxDifference(channelMoments(clean).std, target.std)).toBeGreaterThan(0.1);
  });

  it('keeps the normalized shape of the clean features', () => {
    const { clean, adversarial } = featurePair();
    const mixed = adversarialFeatureNormalization(clean, adversarial);
    const standardize = (f: tf.Tensor4D) => {
      const { mean, std } = channelMoments(f);
      return tf.div(tf.sub(f, mean), std);
    };
    expect(maxDifference(standardize(mixed), standardize(clean))).toBeLessThan(1e-3);
  });

  it('uses the unbiased variance plus 1e-5 over channels', () => {
    const f = tf.tensor4d([1, 2, 3, 6], [1, 1, 1, 4]);
    const { mean, std } = channelMoments(f);
    expect(mean.dataSync()[0]).toBeCloseTo(3, 6);
    expect(std.dataSync()[0]).toBeCloseTo(Math.sqrt(14 / 3 + 1e-5), 5);
  });

  it('refuses single-channel features', () => {
    expect(() => channelMoments(tf.zeros([1, 2, 2, 1]) as tf.Tensor4D)).toThrow(PerturbError);
  });
});
