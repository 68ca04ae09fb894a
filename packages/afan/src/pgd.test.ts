import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '@perturb/core';
import { featurePgd } from './pgd';
import { toyBatch } from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const EVAL = { training: false };

describe('featurePgd', () => {
  it('leaves the features unchanged at ε = 0, even with a random init', () => {
    const model = new TinyClassifier({ numClasses: 2, seed: 1 });
    const { x, y } = toyBatch(4, 1);
    const f = model.head(x, 'stem', EVAL);
    const delta = featurePgd(
      model,
      'stem',
      f,
      y,
      { epsilon: 0, randomInit: true, steps: 3, stepSize: 0.1 },
      new Rng(2),
    );
    expect(delta.shape).toEqual(f.shape);
    expect(tf.max(tf.abs(delta)).dataSync()[0]).toBe(0);
  });

  it('keeps δ inside the L∞ ball of radius ε, and reaches its boundary', () => {
    const model = new TinyClassifier({ numClasses: 2, seed: 1 });
    const { x, y } = toyBatch(4, 1);
    const f = model.head(x, 'stem', EVAL);
    const epsilon = 0.01;
    const delta = featurePgd(
      model,
      'stem',
      f,
      y,
      { epsilon, randomInit: true, steps: 5, stepSize: 0.004 },
      new Rng(3),
    );
    const largest = tf.max(tf.abs(delta)).dataSync()[0];
    expect(largest).toBeLessThanOrEqual(epsilon + 1e-7);
    expect(largest).toBeGreaterThan(epsilon - 1e-6);
  });

  it('takes steps·γ sign steps without clipping by default', () => {
    const model = new TinyClassifier({ numClasses: 2, seed: 1 });
    const { x, y } = toyBatch(4, 1);
    const f = model.head(x, 'features', EVAL);
    const delta = featurePgd(model, 'features', f, y, { bnMode: 'eval' });
    // The tail after 'features' is linear up to the softmax, so every step has the same sign.
    const values = tf.abs(delta).dataSync();
    const expected = (5 * 0.5) / 255;
    for (const v of values) expect(v).toBeCloseTo(expected, 6);
  });

  it('never lowers the attacked loss from one step to the next (eval-mode BatchNorm)', () => {
    const model = new TinyClassifier({ numClasses: 2, seed: 4 });
    const { x, y } = toyBatch(4, 5);
    const f = model.head(x, 'stem', EVAL);
    const losses = [0, 1, 2, 3, 4, 5].map((steps) =>
      tf.tidy(() => {
        const delta = featurePgd(model, 'stem', f, y, { steps, stepSize: 0.02, bnMode: 'eval' });
        return crossEntropy(model.tail(tf.add(f, delta) as tf.Tensor4D, 'stem', EVAL), y).dataSync()[0];
      }),
    );
    for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeGreaterThanOrEqual(losses[k - 1] - 1e-6);
    expect(losses[5]).toBeGreaterThan(losses[0]);
  });

  it('asks for an Rng when the init is random', () => {
    const model = new TinyClassifier({ numClasses: 2 });
    const { x, y } = toyBatch(2, 1);
    const f = model.head(x, 'stem', EVAL);
    expect(() => featurePgd(model, 'stem', f, y, { epsilon: 0.1, randomInit: true })).toThrow(PerturbError);
    expect(() => featurePgd(model, 'stem', f, y, { randomInit: true }, new Rng(0))).toThrow(/finite epsilon/);
  });
});

describe("featurePgd as a setting of core's PGD loop", () => {
  /** A position-weighted sum: equal only when every value is. */
  const checksum = (t: tf.Tensor) =>
    Array.from(t.dataSync()).reduce((sum, v, i) => sum + v * ((i % 97) + 1), 0);

  it.each([
    ['stem', {}, -2.892157119465992],
    ['stem', { epsilon: 0.01, randomInit: true, steps: 5, stepSize: 0.004 }, -0.6890298421494663],
    ['features', { bnMode: 'eval', steps: 3, stepSize: 0.02 }, 1.6199999637901783],
  ] as const)('gives the numbers of the loop it replaced (%s, %o)', (site, options, expected) => {
    const model = new TinyClassifier({ numClasses: 2, seed: 4 });
    const { x, y } = toyBatch(4, 5);
    const f = model.head(x, site, EVAL);
    expect(checksum(featurePgd(model, site, f, y, options, new Rng(3)))).toBe(expected);
  });

  it('refuses bad options in one line naming the setting', () => {
    const model = new TinyClassifier({ numClasses: 2 });
    const { x, y } = toyBatch(2, 1);
    const f = model.head(x, 'stem', EVAL);
    expect(() => featurePgd(model, 'stem', f, y, { stepz: 3 } as never)).toThrow(
      /"stepz" is not a setting of featurePgd options\. did you mean "steps"\?/,
    );
    expect(() => featurePgd(model, 'stem', f, y, { steps: -1 })).toThrow(/"steps" is -1/);
  });
});
