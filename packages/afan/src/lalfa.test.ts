import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, TinyClassifier, initBackend } from '@perturb/core';
import { train } from '@perturb/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LalfaAugmenter, lalfa } from './lalfa';
import { crossEntropy } from '@perturb/core';
import { featurePgd } from './pgd';
import { projectOntoSimplex } from './simplex';
import { CLASSES, contextFor, toyBatch, toyData } from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const tinyModel = () => new TinyClassifier({ numClasses: CLASSES, seed: 1 });

/**
 * One loss stage as the trainer runs it, without the model's update: each term's weighted value
 * differentiated with respect to the stage's learned inputs, the sum handed to `learn`. Returns
 * the terms' names.
 */
function runStep(plugin: LalfaAugmenter, model: TinyClassifier, step: number): string[] {
  return tf.tidy(() => {
    const stage = plugin.losses!(toyBatch(4, step), contextFor(model, 0, step));
    const learned = stage.learned!;
    const terms = stage.terms();
    // Each term reads one site's weight: the engine's gradients allow the others to go unreached.
    const perTerm = terms.map(
      (term) =>
        tf
          .engine()
          .gradients(
            () => tf.mul(term.value(), term.weight) as tf.Scalar,
            [...learned.tensors],
            undefined,
            true,
          ).grads,
    );
    learned.learn(
      learned.tensors.map((tensor, i) => tf.addN(perTerm.map((grads) => grads[i] ?? tf.zerosLike(tensor)))),
    );
    return terms.map((t) => t.name);
  });
}

function expectOnSimplex(weights: number[]): void {
  expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  for (const w of weights) expect(w).toBeGreaterThanOrEqual(0);
}

describe('projectOntoSimplex', () => {
  it('leaves points of the simplex alone', () => {
    expect(projectOntoSimplex([0.2, 0.3, 0.5])).toEqual([0.2, 0.3, 0.5]);
  });

  it('is the official uniform shift when no weight turns negative', () => {
    const projected = projectOntoSimplex([0.5, 0.4, 0.4]);
    [0.4, 0.3, 0.3].forEach((w, i) => expect(projected[i]).toBeCloseTo(w, 12));
  });

  it('clamps at zero where the shift would go negative', () => {
    expect(projectOntoSimplex([2, 0, -1])).toEqual([1, 0, 0]);
    const projected = projectOntoSimplex([0.9, 0.8, -3]);
    [0.55, 0.45, 0].forEach((w, i) => expect(projected[i]).toBeCloseTo(w, 12));
  });
});

describe('lalfa', () => {
  it('starts from 1/n and keeps the weights on the simplex while they learn', () => {
    const model = tinyModel();
    const plugin = lalfa({ sites: ['stem', 'features'], stepSize: 0.05, weightLr: 5 });
    expect(plugin.weights()).toEqual([0.5, 0.5]);
    for (let step = 0; step < 4; step++) {
      expect(runStep(plugin, model, step)).toEqual(['lalfa/stem', 'lalfa/features']);
      expectOnSimplex(plugin.weights());
    }
    expect(plugin.weights()).not.toEqual([0.5, 0.5]);
  });

  it('steps the weights along the gradient of the adversarial loss', () => {
    const model = tinyModel();
    const sites = ['stem', 'features'];
    const attack = { stepSize: 0.05, steps: 3 };
    const weightLr = 0.05;
    const plugin = lalfa({ sites, ...attack, weightLr, weightMomentum: 0, l1Coefficient: 0 });
    runStep(plugin, model, 0);
    // Central differences of ¼·CE(tail(f_i + w·δ_i)) at w = ½, from the same features and attack,
    // the tail in training mode as the terms run it.
    const { x, y } = toyBatch(4, 0);
    const slopes = sites.map((site) =>
      tf.tidy(() => {
        const f = model.head(x, site, { training: true });
        const delta = featurePgd(model, site, f, y, attack);
        const lossAt = (w: number) =>
          crossEntropy(
            model.tail(tf.add(f, tf.mul(delta, w)) as tf.Tensor4D, site, { training: true }),
            y,
          ).dataSync()[0];
        const h = 1e-2;
        return (0.25 * (lossAt(0.5 + h) - lossAt(0.5 - h))) / (2 * h);
      }),
    );
    const expectedShift = (-weightLr * (slopes[0] - slopes[1])) / 2;
    const [w0] = plugin.weights();
    expect(Math.abs(expectedShift)).toBeGreaterThan(1e-4);
    expect(Math.abs(w0 - 0.5 - expectedShift)).toBeLessThan(0.01 * Math.abs(expectedShift));
  });

  it('saves and restores its state', () => {
    const model = tinyModel();
    const plugin = lalfa({ sites: ['stem', 'features'], stepSize: 0.05 });
    runStep(plugin, model, 0);
    const saved = plugin.state();
    const restored = lalfa({ sites: ['stem', 'features'], stepSize: 0.05 });
    restored.loadState(saved);
    runStep(plugin, model, 1);
    runStep(restored, model, 1);
    expect(restored.weights()).toEqual(plugin.weights());
    expect(() => restored.loadState({ weights: [1], velocity: [0] })).toThrow(PerturbError);
    expect(() => lalfa({} as never)).toThrow(PerturbError);
  });

  it('trains in the trainer with its weights on the simplex', async () => {
    const plugin = lalfa({ sites: ['stem', 'features'], stepSize: 0.02, steps: 2 });
    const result = await train({
      model: tinyModel(),
      train: toyData(3, 8),
      augmenters: [plugin],
      optimizer: { name: 'sgd', momentum: 0.9 },
      lr: 0.05,
      epochs: 2,
      seed: 3,
      progress: false,
    });
    expect(result.epochs.every((e) => Number.isFinite(e.trainLoss))).toBe(true);
    expectOnSimplex(plugin.weights());
    expect(plugin.weights()).not.toEqual([0.5, 0.5]);
  });
});
