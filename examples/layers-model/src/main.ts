/**
 * `npm run main -w perturb-example-layers-model -- [--out DIR] [--model sequential|functional]
 * [--site block1|block2] [--steps N] [--train-size N] [--seed N]`: trains and saves the model.
 */
import { parseArgs } from 'node:util';
import { PerturbError } from '@perturb/core';
import { MODEL_SITES, type ModelKind } from './model';
import { disposeRun, runLayersModelExample } from './train';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/layers-model' },
    model: { type: 'string', default: 'sequential' },
    site: { type: 'string', default: 'block1' },
    steps: { type: 'string', default: '100' },
    'train-size': { type: 'string', default: '500' },
    seed: { type: 'string', default: '0' },
  },
});

function whole(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new PerturbError(`--${flag} ${value} is not a whole number`, `pass e.g. --${flag} 100`);
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new PerturbError(`--${flag} ${value} is unknown`, `use one of ${allowed.join(', ')}`);
  return value as T;
}

try {
  const run = await runLayersModelExample({
    out: values.out,
    model: oneOf<ModelKind>('model', values.model, ['sequential', 'functional']),
    site: oneOf('site', values.site, MODEL_SITES),
    steps: whole('steps', values.steps),
    trainSize: whole('train-size', values['train-size']),
    seed: whole('seed', values.seed),
  });
  const accuracy = run.training.final?.accuracy ?? NaN;
  process.stdout.write(
    `test accuracy ${(accuracy * 100).toFixed(1)}%\nsaved the model to ${run.modelFolder}/model.json and the Glow to ${run.glowFolder}/model.json\n`,
  );
  disposeRun(run);
} catch (error) {
  if (!(error instanceof PerturbError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exitCode = 2;
}
