import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, TinyClassifier, assertNoTensorLeak, initBackend } from '@perturb/core';
import { horizontalFlip } from '@perturb/augmenters';
import { train } from '@perturb/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AfanOptions, afan } from './afan';
import { crossEntropy } from '@perturb/core';
import { CLASSES, contextFor, toyBatch, toyData } from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const tinyModel = (seed = 1) => new TinyClassifier({ numClasses: CLASSES, seed });

/** The loss stage's terms for one batch, as numbers, computed as the trainer would. */
function termValues(options: AfanOptions, model = tinyModel(), seed = 0): Record<string, number> {
  return tf.tidy(() => {
    const stage = afan(options).losses!(toyBatch(4, 2), contextFor(model, seed));
    return Object.fromEntries(stage.terms().map((t) => [t.name, t.value().dataSync()[0]]));
  });
}

/** Gradients of the sum of the terms with respect to every parameter, keyed by parameter name. */
function termGradients(options: AfanOptions): Record<string, number> {
  const model = tinyModel();
  const names = new Map(model.namedParameters().map(([name, v]) => [v.name, name]));
  return tf.tidy(() => {
    const stage = afan(options).losses!(toyBatch(4, 2), contextFor(model));
    const { grads } = tf.variableGrads(
      () => tf.addN(stage.terms().map((t) => t.value())) as tf.Scalar,
      model.parameters(),
    );
    const sizes: Record<string, number> = {};
    for (const [variable, name] of names)
      sizes[name] = grads[variable] ? tf.max(tf.abs(grads[variable])).dataSync()[0] : 0;
    return sizes;
  });
}

describe('afan', () => {
  it('defaults to ½ clean + ½ adversarial, one term per site and strength', () => {
    const { cleanWeight, terms } = tf.tidy(() => {
      const stage = afan({ sites: ['stem', 'features'], strengths: [0.5, 1], afnStrengths: [1] }).losses!(
        toyBatch(4, 2),
        contextFor(tinyModel()),
      );
      return {
        cleanWeight: stage.cleanWeight,
        terms: stage.terms().map(({ name, weight }) => ({ name, weight })),
      };
    });
    expect(cleanWeight).toBe(0.5);
    expect(terms).toEqual([
      { name: 'afan/stem/α=0.5', weight: 0.125 },
      { name: 'afan/stem/α=1+afn', weight: 0.125 },
      { name: 'afan/features/α=0.5', weight: 0.125 },
      { name: 'afan/features/α=1+afn', weight: 0.125 },
    ]);
  });

  it('at ε = 0 trains on the clean features: every term equals the clean loss', () => {
    const model = tinyModel();
    const values = termValues({ sites: ['stem'], epsilon: 0, randomInit: true }, model);
    const clean = tf.tidy(
      () => crossEntropy(model.logits(toyBatch(4, 2).x, { training: true }), toyBatch(4, 2).y).dataSync()[0],
    );
    expect(values['afan/stem/α=1']).toBeCloseTo(clean, 6);
  });

  it('raises the loss above the clean loss with the default attack', () => {
    const values = termValues({ sites: ['stem'], strengths: [0, 1], stepSize: 0.05 });
    expect(values['afan/stem/α=1']).toBeGreaterThan(values['afan/stem/α=0'] + 1e-3);
  });

  it('with detached heads, trains only the tail', () => {
    const sizes = termGradients({ sites: ['stem'] });
    for (const head of ['conv1.weight', 'bn1.gamma', 'bn1.beta']) expect(sizes[head], head).toBe(0);
    for (const tail of ['conv2.weight', 'fc.weight']) expect(sizes[tail], tail).toBeGreaterThan(0);
  });

  it('with detachHead false, also trains the head', () => {
    const sizes = termGradients({
      sites: ['stem'],
      detachHead: false,
      strengths: [0.5, 1],
      afnStrengths: [1],
    });
    for (const name of ['conv1.weight', 'bn1.gamma', 'conv2.weight', 'fc.weight'])
      expect(sizes[name], name).toBeGreaterThan(0);
  });

  it('repeats exactly with the same seed and differs with another', () => {
    const options: AfanOptions = { sites: ['stem'], epsilon: 0.05, stepSize: 0.02, randomInit: true };
    const a = termValues(options, tinyModel(), 5);
    expect(termValues(options, tinyModel(), 5)).toEqual(a);
    expect(termValues(options, tinyModel(), 6)).not.toEqual(a);
  });

  it('leaks no tensors across steps, and its memory does not grow with the PGD steps', async () => {
    const model = tinyModel();
    const batch = toyBatch(4, 2);
    const step = (steps: number) =>
      tf.tidy(() => {
        const stage = afan({ sites: ['stem', 'features'], steps, strengths: [0.5, 1], afnStrengths: [1] })
          .losses!(batch, contextFor(model));
        const live = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(
          () => tf.addN(stage.terms().map((t) => t.value())) as tf.Scalar,
          model.parameters(),
        );
        tf.dispose([value, grads]);
        return live;
      });
    await assertNoTensorLeak(() => step(2), { warmup: 1, iterations: 3 });
    expect(step(8)).toBe(step(1));
  });

  it("names the model's sites when a site does not exist, and checks its options up front", () => {
    const stage = () =>
      tf.tidy(() => {
        afan().losses!(toyBatch(2, 1), contextFor(tinyModel()));
      });
    expect(stage).toThrow(/no feature site "stage1".*"stem", "features"/);
    expect(() => afan({ strengths: [0.5], afnStrengths: [1] })).toThrow(PerturbError);
    expect(() => afan({ sites: [] })).toThrow(PerturbError);
    expect(() => afan({ steps: 1.5 })).toThrow(PerturbError);
    expect(() => afan({ bnMode: 'frozen' as 'eval' })).toThrow(PerturbError);
  });

  it('composes with other augmenters in the trainer, and the loss goes down', async () => {
    const run = () =>
      train({
        model: tinyModel(3),
        train: toyData(3, 8),
        augmenters: [horizontalFlip(), afan({ sites: ['stem'], stepSize: 0.02, steps: 2 })],
        optimizer: { name: 'sgd', momentum: 0.9 },
        lr: 0.05,
        epochs: 4,
        seed: 7,
        progress: false,
      });
    const result = await run();
    const losses = result.epochs.map((e) => e.trainLoss);
    expect(losses[3]).toBeLessThan(losses[0]);
    expect((await run()).epochs.map((e) => e.trainLoss)).toEqual(losses);
  });
});
