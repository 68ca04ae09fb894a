import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomCrop } from './crop';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, randomBatch, values } from './testing/fixtures';

describeAugmenter('randomCrop', () => randomCrop());

describe('randomCrop', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('is the identity with padding 0', () => {
    const batch = randomBatch(1);
    const out = randomCrop({ padding: 0 }).transform!(batch, contextFor(model, 1));
    expect(values(out.x)).toEqual(values(batch.x));
  });

  it('returns, for every sample, a window of the padded image at an offset within [0, 2·padding]', () => {
    const padding = 2;
    const batch = randomBatch(2, 16, 8, 1);
    const out = randomCrop({ padding, fill: 0.5 }).transform!(batch, contextFor(model, 3));
    const padded = tf.pad(
      batch.x,
      [
        [0, 0],
        [padding, padding],
        [padding, padding],
        [0, 0],
      ],
      0.5,
    );
    const offsets = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const crop = values(tf.slice(out.x, [i, 0, 0, 0], [1, 8, 8, 1]));
      const matches: string[] = [];
      for (let top = 0; top <= 2 * padding; top++) {
        for (let left = 0; left <= 2 * padding; left++) {
          const window = values(tf.slice(padded, [i, top, left, 0], [1, 8, 8, 1]));
          if (window.every((v, k) => v === crop[k])) matches.push(`${top},${left}`);
        }
      }
      expect(matches).toHaveLength(1);
      offsets.add(matches[0]);
    }
    expect(offsets.size).toBeGreaterThan(4); // offsets are drawn per sample
  });

  it('rejects a fractional padding', () => {
    expect(() => randomCrop({ padding: 1.5 })).toThrow(
      /"padding" is 1.5 in randomCrop options\. use a whole number/,
    );
  });
});
