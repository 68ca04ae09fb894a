import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BuildEnvironment,
  PerturbError,
  Rng,
  augmenters,
  createAugmenter,
  TinyClassifier,
  assertNoTensorLeak,
  crossEntropy,
  initBackend,
  type Batch,
  type StepContext,
} from '@perturb/core';
import { saveCheckpoint } from '@perturb/core/node';
import { toBatch } from '@perturb/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classCheckpointName } from './class-specific';
import { onManifoldAdversarial, onManifoldAdversarialDefinition, onManifoldAttack } from './on-manifold';
import { bandDataset, tinyVaeGan, values } from './test-support';
import type { VaeGan } from './vaegan';

let models: VaeGan[];
let classifier: TinyClassifier;
let batch: Batch;
const fast = { iterations: 3 };
const context = (seed: number): StepContext => ({ model: classifier, rng: new Rng(seed), step: 0, epoch: 0 });

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  // Trained models are in evaluation mode; the mode test below checks one that is not.
  models = [tinyVaeGan(10).eval(), tinyVaeGan(11).eval()];
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

  it('runs the VAE-GANs in evaluation mode, leaving their mode and BatchNorm statistics as they were', () => {
    const training = [tinyVaeGan(10), tinyVaeGan(11)];
    const statistics = training.map((model) => model.namedBuffers().map(([, v]) => values(v)));
    const { images } = onManifoldAttack(classifier, training, batch.x, batch.y, new Rng(0), fast);
    expect(training.map((model) => model.training)).toEqual([true, true]);
    expect(training.map((model) => model.namedBuffers().map(([, v]) => values(v)))).toEqual(statistics);
    // The same numbers as the same weights in evaluation mode.
    const evaluated = onManifoldAttack(classifier, models, batch.x, batch.y, new Rng(0), fast).images;
    expect(maxAbs(tf.sub(images, evaluated))).toBe(0);
    for (const model of training) model.dispose();
  });

  it('keeps |δ|∞ ≤ ε and z + δ inside the code range', () => {
    const model = tinyVaeGan(10).eval();
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

  it("returns each sample's highest-loss iterate, not the last one", () => {
    // Adam with a large step overshoots: on this sample the last iterate scores below an earlier one.
    const x = tf.slice(batch.x, 1, 1);
    const y = tf.slice(batch.y, 1, 1);
    const settings = { iterations: 3, lr: 3, epsilon: 10 };
    const scored: number[] = [];
    // One more iteration reports the loss at the shorter attack's last iterate as its last onStep.
    onManifoldAttack(classifier, models, x, y, new Rng(3), { ...settings, iterations: 4 }, (_, loss) =>
      scored.push(loss),
    );
    const last = scored[scored.length - 1];
    const best = Math.max(...scored);
    expect(last).toBeLessThan(best - 1e-3);
    const { images } = onManifoldAttack(classifier, models, x, y, new Rng(3), settings);
    const returned = crossEntropy(classifier.logits(images, { training: false }), y).dataSync()[0];
    expect(returned).toBeCloseTo(best, 4);
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

  it('validates its options in one line naming the setting', () => {
    expect(() => onManifoldAdversarial({ models, ratio: 2 })).toThrow(
      /"ratio" is 2 in onManifoldAdversarial options\. use a value ≤ 1/,
    );
    expect(() => onManifoldAdversarial({ models: [] })).toThrow(PerturbError);
    expect(() => onManifoldAdversarial({ models, epsilon: -1 })).toThrow(/"epsilon" is -1/);
    expect(() => onManifoldAdversarial({ models, iteration: 3 } as never)).toThrow(
      /"iteration" is not a setting of onManifoldAdversarial options\. did you mean "iterations"\?/,
    );
    expect(() => onManifoldAttack(classifier, models, batch.x, batch.y, new Rng(0), { lr: -1 })).toThrow(
      /"lr" is -1 in onManifoldAttack options/,
    );
  });
});

describe('onManifoldAdversarial in configs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vaegan-definition-'));
    models.forEach((model, k) =>
      saveCheckpoint(join(dir, classCheckpointName(k)), model, { config: model.config }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A build environment that caches shared values and disposes them on request. */
  function environment() {
    const values = new Map<string, unknown>();
    const disposers: Array<() => void> = [];
    const env: BuildEnvironment = {
      augmenter: () => {
        throw new Error('no nested augmenters here');
      },
      shared<T>(key: string, build: () => T, dispose?: (value: T) => void): T {
        if (!values.has(key)) {
          const value = build();
          values.set(key, value);
          if (dispose) disposers.push(() => dispose(value));
        }
        return values.get(key) as T;
      },
      readFile: (path) => (existsSync(path) ? readFileSync(path) : undefined),
    };
    return { env, loaded: () => values.size, dispose: () => disposers.forEach((d) => d()) };
  }

  it('is registered, loads the folder it names once at the first step, and attacks as the factory does', () => {
    expect(augmenters.get('onManifoldAdversarial')).toBe(onManifoldAdversarialDefinition);
    const { env, loaded, dispose } = environment();
    const built = createAugmenter(onManifoldAdversarialDefinition, { models: dir, ...fast }, env);
    expect(loaded()).toBe(0);
    const direct = values(onManifoldAdversarial({ models, ...fast }).transform!(batch, context(7)).x);
    expect(values(built.transform!(batch, context(7)).x)).toEqual(direct);
    expect(loaded()).toBe(1);
    dispose();
  });

  it('needs the folder', () => {
    expect(() => createAugmenter(onManifoldAdversarialDefinition, fast, environment().env)).toThrow(
      /"models" is missing in onManifoldAdversarial options/,
    );
  });
});
