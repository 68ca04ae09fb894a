import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, initBackend, type Augmenter, type Batch } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutmix } from './cutmix';
import { mixup } from './mixup';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, values } from './testing/fixtures';

describeAugmenter('mixup', () => mixup());
describeAugmenter('cutmix', () => cutmix());

const NUM_CLASSES = 10;
/** The brightness of every image of class k. */
const brightness = (k: number) => (k + 1) / NUM_CLASSES;

/** Sixteen flat images whose brightness encodes their (one-hot) class. */
function flatBatch(): Batch {
  const classes = Array.from({ length: 16 }, (_, i) => i % NUM_CLASSES);
  const x = tf.tensor4d(
    classes.flatMap((k) => new Array(8 * 8).fill(brightness(k))),
    [16, 8, 8, 1],
  );
  return { x, y: tf.cast(tf.oneHot(classes, NUM_CLASSES), 'float32') as tf.Tensor2D };
}

/** Each sample's mean brightness, and the brightness its label predicts. */
function brightnessAndLabel(out: Batch): { image: number[]; label: number[] } {
  const classBrightness = tf.tensor1d(Array.from({ length: NUM_CLASSES }, (_, k) => brightness(k)));
  return {
    image: values(tf.mean(out.x, [1, 2, 3])),
    label: values(tf.sum(tf.mul(out.y, classBrightness), 1)),
  };
}

describe.each<[string, (alpha: number) => Augmenter]>([
  ['mixup', (alpha) => mixup({ alpha })],
  ['cutmix', (alpha) => cutmix({ alpha })],
])('%s', (_, make) => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('mixes labels with the same weights as the images (area weights for CutMix)', () => {
    for (const seed of [1, 2, 3]) {
      const { image, label } = brightnessAndLabel(make(1).transform!(flatBatch(), contextFor(model, seed)));
      image.forEach((v, i) => expect(v).toBeCloseTo(label[i], 5));
    }
  });

  it('gives every label row a convex combination of two one-hot labels with one weight per batch', () => {
    const out = make(0.4).transform!(flatBatch(), contextFor(model, 4));
    const weights = new Set<number>();
    for (const row of out.y.arraySync()) {
      const positive = row.filter((v) => v > 0);
      expect(positive.length).toBeLessThanOrEqual(2);
      expect(positive.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      if (positive.length === 2) weights.add(Number(Math.min(...positive).toFixed(5)));
    }
    expect(weights.size).toBeLessThanOrEqual(1);
  });

  it('rejects alpha ≤ 0', () => {
    expect(() => make(0)).toThrow(/"alpha" is 0 in (mixup|cutmix) options\. use a value > 0/);
  });
});
