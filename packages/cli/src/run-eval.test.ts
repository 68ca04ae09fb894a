import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config';
import { runEval } from './run-eval';
import { type TrainRunResult, runTrain } from './run-train';

describe('perturb eval', () => {
  let run: string;
  let trained: TrainRunResult;

  beforeAll(async () => {
    run = join(mkdtempSync(join(tmpdir(), 'perturb-eval-')), 'run');
    const config = resolveConfig([
      { trainSize: 20, testSize: 30, model: 'lenet5', batchSize: 10, steps: 4, seed: 3, out: run },
    ]);
    trained = await runTrain(config, { progress: false });
  });

  it("reproduces the run's own final test scores from its checkpoint, without leaking tensors", async () => {
    const before = tf.memory().numTensors;
    const result = await runEval({ run });
    expect(tf.memory().numTensors).toBe(before);
    if (result.task !== 'classification') throw new Error(`a ${result.task} evaluation of a classifier run`);
    expect(result.evaluation.count).toBe(30);
    expect(result.evaluation.accuracy).toBe(trained.testAccuracy);
    expect(result.evaluation.loss).toBeCloseTo(trained.test.loss, 5);
    expect(result.evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(30);
    expect(JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')).evaluation.accuracy).toBe(
      trained.testAccuracy,
    );
  });

  it('scores the test set under an augmenter given as YAML, within its budget, repeatably', async () => {
    const attack = '{ pixelPgd: { epsilon: 0.1, stepSize: 0.05, steps: 3 } }';
    const first = await runEval({ run, attack, seed: 1 });
    const again = await runEval({ run, attack, seed: 1 });
    const scored = first.evaluation.attack!;
    expect(first.attack).toEqual({
      name: 'pixelPgd',
      options: { labels: 'true', bnMode: 'eval', epsilon: 0.1, stepSize: 0.05, steps: 3 },
    });
    expect(scored.linf.max).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(scored.linf.max).toBeGreaterThan(0.05);
    expect(scored.loss).toBeGreaterThan(first.evaluation.loss);
    expect(again.evaluation).toEqual(first.evaluation);
    expect(existsSync(join(run, 'eval-pixelPgd.json'))).toBe(true);
  });

  it('names what is missing or malformed', async () => {
    await expect(runEval({ run: join(run, 'nowhere') })).rejects.toThrow(
      /has no checkpoint .*checkpoint\.safetensors is missing/,
    );
    await expect(runEval({ run, attack: '{ pixelPgd: [' })).rejects.toThrow(/--attack .* is not valid YAML/);
    await expect(runEval({ run, attack: 'afan' })).rejects.toThrow(/has no transform/);
  });
});

describe('perturb eval --attack', () => {
  let run: string;

  beforeAll(async () => {
    run = join(mkdtempSync(join(tmpdir(), 'perturb-eval-attack-')), 'run');
    const config = resolveConfig([
      { trainSize: 200, testSize: 100, model: 'lenet5', batchSize: 20, steps: 80, seed: 1, out: run },
    ]);
    await runTrain(config, { progress: false });
  });

  const budget = 'epsilon: 0.1, stepSize: 0.05, steps: 3';

  it('attacks the true labels with an eval-mode model by default, so accuracy under attack is lower than clean', async () => {
    const result = await runEval({ run, attack: `{ pixelPgd: { ${budget} } }` });
    const { accuracy, attack } = result.evaluation;
    expect(result.attack!.options).toMatchObject({ labels: 'true', bnMode: 'eval' });
    expect(accuracy).toBeGreaterThan(0.5); // a trained model, well above chance (0.1)
    expect(attack!.accuracy).toBeLessThan(accuracy);
  });

  it("keeps the settings the attack names itself: training's defaults attack much less", async () => {
    const byDefault = await runEval({ run, attack: `{ pixelPgd: { ${budget} } }` });
    const attack = `{ pixelPgd: { labels: predicted, bnMode: train, ${budget} } }`;
    const asInTraining = await runEval({ run, attack, out: join(run, 'eval-training-defaults.json') });
    expect(asInTraining.attack!.options).toMatchObject({ labels: 'predicted', bnMode: 'train' });
    expect(asInTraining.evaluation.attack!.accuracy).toBeGreaterThan(byDefault.evaluation.attack!.accuracy);
  });
});
