/**
 * The generic battery every augmenter of this package passes: one line,
 * `describeAugmenter('name', () => factory(options))`, checks the contract of `Augmenter`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, assertNoTensorLeak, initBackend, type Augmenter, type Batch } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { contextFor, randomBatch, values } from './fixtures';

export interface BatteryOptions {
  /** Whether the output depends on the seed (false for e.g. PGD without a random start). Default true. */
  random?: boolean;
  /** Image side of the test batch. Default 8. */
  size?: number;
}

export function describeAugmenter(title: string, make: () => Augmenter, options: BatteryOptions = {}): void {
  const { random = true, size = 8 } = options;
  describe(`${title} (Augmenter contract)`, () => {
    let model: TinyClassifier;
    let batch: Batch;
    const run = (seed: number): Batch => make().transform!(batch, contextFor(model, seed));

    beforeAll(async () => {
      await initBackend({ backend: 'cpu', log: false });
      model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
      batch = randomBatch(2, 8, size);
    });

    it('keeps shapes and dtypes, images in [0, 1] and labels summing to 1', () => {
      const out = run(3);
      expect(out.x.shape).toEqual(batch.x.shape);
      expect(out.y.shape).toEqual(batch.y.shape);
      expect([out.x.dtype, out.y.dtype]).toEqual(['float32', 'float32']);
      expect(Math.min(...values(out.x))).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values(out.x))).toBeLessThanOrEqual(1);
      for (const total of values(tf.sum(out.y, 1))) expect(total).toBeCloseTo(1, 5);
      expect(Math.min(...values(out.y))).toBeGreaterThanOrEqual(0);
    });

    it('repeats exactly with the same seed', () => {
      const [a, b] = [run(4), run(4)];
      expect(values(a.x)).toEqual(values(b.x));
      expect(values(a.y)).toEqual(values(b.y));
    });

    if (random) {
      it('changes with the seed', () => {
        expect(values(run(5).x)).not.toEqual(values(run(6).x));
      });
    }

    it('leaks no tensors when run in a tidy scope, as the trainer does', async () => {
      const augmenter = make();
      const ctx = contextFor(model, 7);
      await assertNoTensorLeak(() => {
        const out = tf.tidy(() => {
          const { x, y } = augmenter.transform!(batch, ctx);
          return [x, y];
        });
        // An augmenter may pass input tensors through; only its new tensors are the caller's to free.
        tf.dispose(out.filter((t) => t !== batch.x && t !== batch.y));
      });
    });
  });
}
