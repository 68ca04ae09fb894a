import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { horizontalFlip } from './flip';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, randomBatch, values } from './testing/fixtures';

describeAugmenter('horizontalFlip', () => horizontalFlip());

describe('horizontalFlip', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('equals tf.reverse on the width axis with p = 1 and the identity with p = 0', () => {
    const batch = randomBatch(1);
    expect(values(horizontalFlip({ p: 1 }).transform!(batch, contextFor(model, 1)).x)).toEqual(
      values(tf.reverse(batch.x, 2)),
    );
    expect(values(horizontalFlip({ p: 0 }).transform!(batch, contextFor(model, 1)).x)).toEqual(
      values(batch.x),
    );
  });

  it('flips a per-sample subset and leaves the rest as they were', () => {
    const batch = randomBatch(2, 32);
    const out = horizontalFlip().transform!(batch, contextFor(model, 2));
    const flipped = tf.reverse(batch.x, 2);
    let count = 0;
    for (let i = 0; i < 32; i++) {
      const sample = values(tf.slice(out.x, [i], [1]));
      const isFlipped = sample.every((v, k) => v === values(tf.slice(flipped, [i], [1]))[k]);
      const isOriginal = sample.every((v, k) => v === values(tf.slice(batch.x, [i], [1]))[k]);
      expect(isFlipped || isOriginal).toBe(true);
      if (isFlipped) count++;
    }
    expect(count).toBeGreaterThan(4);
    expect(count).toBeLessThan(28);
  });
});
