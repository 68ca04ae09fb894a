import * as tf from '@tensorflow/tfjs-core';
import {
  PerturbError,
  Rng,
  TinyClassifier,
  assertNoTensorLeak,
  crossEntropy,
  initBackend,
  type Batch,
  type StepContext,
} from '@perturb/core';
import { toBatch } from '@perturb/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { onManifoldAdversarial, onManifoldAttack } from './on-manifold';
import { bandDataset, tinyVaeGan, values } from './test-support';
import type { VaeGan } from './vaegan';

let models: VaeGan[];
let classifier: TinyClassifier;
let batch: Batch;
const fast = { iterations: 3 };
const context = (seed: number): StepContext => ({ model: classifier, rng: new Rng(seed), step: 0, epoch: 0 });

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  models = [tinyVaeGan(10), tinyVaeGan(11)];
  classifier = new TinyClassifier({ inChannels: 1, numClasses: 2, width: 4, seed: 1 });
  batch = toBatch(bandDataset(2)); // classes 0, 1, 0, 1
});

const maxAbs = (t: tf.Tensor) => Math.max(...values(t).map(Math.abs));

describe('onManifoldAttack', () => {
  it('with ε = 0 returns the on-manifold reconstruction decode_y(z)', () => {
    const { images, delta } = onManifoldAttack(classifier, models, batch.x, batch.y, new Rng(0), {
      ...fast,
      epsilon: 0,
    });
    expect(maxAbs(delta)).toBe(0);
    const expected = tf.concat([0, 1, 2, 3].map((i) => models[i % 2].reconstruct(tf.slice(batch.x, i, 1))));
    expect(maxAbs(tf.sub(images, expected))).toBeLessThan(1e-6);
  });

  it('keeps |δ|∞ ≤ ε and z + δ inside the code range', () => {
    const model = tinyVaeGan(10);
    const z = values(model.encode(tf.slice(batch.x, 0, 1)).mean);
    model.setCodeRange(
      z.map((v) => v - 0.01),
      z.map((v) => v + 0.01),
    );
    const narrow = [model, models[1]];
    const { images, delta } = onManifoldAttack(classifier, narrow, batch.x, batch.y, new Rng(0), {
      iterations: 4,
      lr: 0.5,
      epsilon: 0.2,
    });
    expect(maxAbs(delta)).toBeLessThanOrEqual(0.2 + 1e-7);
    // Sample 0's code may move only 0.01 per dimension: its image changes less than its unclipped twin's.
    const unclipped = onManifoldAttack(classifier, models, batch.x, batch.y, new Rng(0), {
      iterations: 4,
      lr: 0.5,
      epsilon: 0.2,
    }).images;
    const change = (result: tf.Tensor4D) =>
      maxAbs(tf.sub(tf.slice(result, 0, 1), model.reconstruct(tf.slice(batch.x, 0, 1))));
    expect(change(images)).toBeLessThan(0.5 * change(unclipped));
  });

  it("raises the classifier's loss, leaving its variables and BatchNorm statistics unchanged", () => {
    const state = Object.values(classifier.stateDict()).map(values);
    const losses: number[] = [];
    const { images } = onManifoldAttack(
      classifier,
      models,
      batch.x,
      batch.y,
      new Rng(0),
      { iterations: 8, lr: 0.05 },
      (_, loss) => losses.push(loss),
    );
    expect(losses).toHaveLength(8);
    const after = crossEntropy(classifier.logits(images, { training: false }), batch.y).dataSync()[0];
    expect(after).toBeGreaterThan(losses[0]);
    expect(losses[7]).toBeGreaterThan(losses[0]);
    expect(Object.values(classifier.stateDict()).map(values)).toEqual(state);
  });

  it('refuses a class without a model', () => {
    expect(() => onManifoldAttack(classifier, [models[0]], batch.x, batch.y, new Rng(0), fast)).toThrow(
      PerturbError,
    );
  });
});

describe('onManifoldAdversarial', () => {
  const rowsEqual = (a: tf.Tensor, b: tf.Tensor, i: number) =>
    maxAbs(tf.sub(tf.slice(a, i, 1), tf.slice(b, i, 1))) === 0;

  it('replaces exactly half the batch and keeps the labels', () => {
    const out = onManifoldAdversarial({ models, ...fast }).transform!(batch, context(3));
    const kept = [0, 1, 2, 3].filter((i) => rowsEqual(out.x, batch.x, i));
    expect(kept).toHaveLength(2);
    expect(out.y).toBe(batch.y);
    const ratioOne = onManifoldAdversarial({ models, ...fast, ratio: 1 }).transform!(batch, context(3));
    expect([0, 1, 2, 3].filter((i) => rowsEqual(ratioOne.x, batch.x, i))).toHaveLength(0);
  });

  it('repeats exactly with the same seed and differs with another', () => {
    const augmenter = onManifoldAdversarial({ models, ...fast });
    const run = (seed: number) => values(augmenter.transform!(batch, context(seed)).x);
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });

  it('loads its models once, at the first step', () => {
    let loads = 0;
    const augmenter = onManifoldAdversarial({ models: () => (loads++, models), ...fast });
    expect(loads).toBe(0);
    augmenter.transform!(batch, context(1));
    augmenter.transform!(batch, context(2));
    expect(loads).toBe(1);
  });

  it('leaks no tensors', async () => {
    const augmenter = onManifoldAdversarial({ models, ...fast });
    await assertNoTensorLeak(() => tf.dispose(tf.tidy(() => augmenter.transform!(batch, context(6)).x)), {
      warmup: 1,
      iterations: 2,
    });
  });

  it('validates its options', () => {
    expect(() => onManifoldAdversarial({ models, ratio: 2 })).toThrow(/ratio/);
    expect(() => onManifoldAdversarial({ models: [] })).toThrow(PerturbError);
    expect(() => onManifoldAdversarial({ models, epsilon: -1 })).toThrow(/epsilon/);
  });
});
