import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutout } from './cutout';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, values } from './testing/fixtures';

describeAugmenter('cutout', () => cutout({ size: 4 }));

/** The filled pixels of each sample of an all-ones batch, as row/column bounds and a count. */
function holes(x: tf.Tensor4D): Array<{ rows: number[]; cols: number[]; count: number }> {
  const [n, h, w] = x.shape;
  const data = values(x);
  return Array.from({ length: n }, (_, i) => {
    const rows: number[] = [];
    const cols: number[] = [];
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        if (data[(i * h + r) * w + c] !== 1) {
          rows.push(r);
          cols.push(c);
        }
      }
    }
    return { rows, cols, count: rows.length };
  });
}

describe('cutout', () => {
  let model: TinyClassifier;
  const ones = () => ({
    x: tf.ones([24, 8, 8, 1]) as tf.Tensor4D,
    y: tf.cast(tf.oneHot(new Array<number>(24).fill(0), 10), 'float32') as tf.Tensor2D,
  });
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('fills exactly one border-clipped square per sample and nothing else', () => {
    const out = cutout({ size: 3, fill: 0 }).transform!(ones(), contextFor(model, 1));
    expect(new Set(values(out.x))).toEqual(new Set([0, 1]));
    let fullHoles = 0;
    for (const { rows, cols, count } of holes(out.x)) {
      const height = Math.max(...rows) - Math.min(...rows) + 1;
      const width = Math.max(...cols) - Math.min(...cols) + 1;
      expect(count).toBe(height * width); // a filled rectangle
      expect(height).toBeLessThanOrEqual(3);
      expect(width).toBeLessThanOrEqual(3);
      if (count === 9) fullHoles++;
    }
    expect(fullHoles).toBeGreaterThan(5);
  });

  it('reads a size below 1 as a fraction of the image, and uses `fill`', () => {
    const out = cutout({ size: 0.5, fill: 0.25 }).transform!(ones(), contextFor(model, 2));
    expect(new Set(values(out.x))).toEqual(new Set([0.25, 1]));
    expect(Math.max(...holes(out.x).map((h) => h.count))).toBe(16);
  });

  it('leaves the batch alone with p = 0 and rejects sizes that are neither pixels nor fractions', () => {
    const batch = ones();
    expect(cutout({ p: 0 }).transform!(batch, contextFor(model, 3)).x).toBe(batch.x);
    expect(() => cutout({ size: 2.5 })).toThrow(/"size" is 2.5 in cutout options\. use a fraction below 1/);
  });
});
