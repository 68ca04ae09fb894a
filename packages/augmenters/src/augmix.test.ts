import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { augMix, jensenShannon } from './augmix';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, randomBatch, values } from './testing/fixtures';

describeAugmenter('augMix (no JSD)', () => augMix({ jsdWeight: 0 }));
describeAugmenter('augMix (all ops, depth 2)', () =>
  augMix({ jsdWeight: 0, allOps: true, depth: 2, severity: 10 }),
);

describe('augMix', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('measures the Jensen–Shannon divergence of the views, averaged over the batch', () => {
    // Row 0: (0.8, 0.2), (0.2, 0.8), (0.5, 0.5); M = (0.5, 0.5); KL(p‖M) = 0.8·ln 1.6 + 0.2·ln 0.4
    // = 0.1927448 for the first two and 0 for the third. Row 1: three equal views, 0.
    // (0.1927448·2) / (3 views · 2 rows) = 0.0642483.
    const logits = [
      [Math.log(0.8), Math.log(0.2)],
      [Math.log(0.2), Math.log(0.8)],
      [0, 0],
    ].map((row) => tf.tensor2d([row, [1, 2]]));
    expect(jensenShannon(logits).dataSync()[0]).toBeCloseTo(0.0642483, 6);
    expect(jensenShannon([logits[0], logits[0], logits[0]]).dataSync()[0]).toBeCloseTo(0, 7);
  });

  it('with a JSD weight, keeps the images clean and adds λ·JS over two views, without leaks', async () => {
    const augmenter = augMix();
    expect(augmenter.transform).toBeUndefined();
    const batch = randomBatch(1, 4);
    const run = (seed: number) =>
      tf.tidy(() =>
        augmenter.losses!(batch, contextFor(model, seed))
          .terms()
          .map((t) => [t.name, t.weight, t.value().dataSync()[0]]),
      );
    const [[name, weight, value]] = run(3);
    expect([name, weight]).toEqual(['augMix:jsd', 12]);
    expect(value).toBeGreaterThan(0);
    expect(run(3)).toEqual(run(3));
    expect(run(4)).not.toEqual(run(3));
    await assertNoTensorLeak(() => {
      const terms = tf.tidy(() =>
        augmenter.losses!(batch, contextFor(model, 5))
          .terms()
          .map((t) => t.value()),
      );
      tf.dispose(terms);
    });
  });

  it('without a JSD weight, replaces almost every image by its mixture (m ~ Beta(1, 1) is rarely near 0)', () => {
    const batch = randomBatch(2, 16);
    const out = values(augMix({ jsdWeight: 0 }).transform!(batch, contextFor(model, 6)).x);
    const clean = values(batch.x);
    const size = 8 * 8 * 3;
    const changed = Array.from({ length: 16 }, (_, i) =>
      out.slice(i * size, (i + 1) * size).some((v, k) => Math.abs(v - clean[i * size + k]) > 1e-6),
    );
    expect(changed.filter(Boolean).length).toBeGreaterThan(12);
  });
});
