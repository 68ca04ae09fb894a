#!/usr/bin/env node
/**
 * flow-lp's Fashion-MNIST Glow as perturb's `flow-lp` preset (L = 1, K = 12, width 512, the
 * one-hot label in every coupling, bounded-logit data space, standard-normal prior, Adam 1e-3,
 * batch 256, gradient clipping at 1, 100 epochs) trained like `perturb train-flow` in a run
 * folder: rerunning the same command resumes after the last finished epoch. Writes
 * `<out>/bits-per-dim.json` (test and training bits/dim per epoch, seconds, settings).
 *
 *   npm run build && node experiments/flow-lp-glow.mjs [--epochs 100] [--train-size 60000]
 *     [--test-size 10000] [--hidden 512] [--seed 0] [--out runs/flow-lp-glow]
 *
 * Smaller --train-size/--test-size/--hidden/--epochs make a smoke run (use another --out: a run
 * folder refuses to resume under other settings).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveFlowConfig, runTrainFlow } from '@perturb/cli';
import { atomicWrite, root } from './lib/runs.mjs';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '100' },
    'train-size': { type: 'string' },
    'test-size': { type: 'string' },
    hidden: { type: 'string', default: '512' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'runs/flow-lp-glow' },
  },
});
const out = join(root, values.out);
const optional = (key, value) => (value === undefined ? {} : { [key]: Number(value) });
const config = resolveFlowConfig(
  [
    {
      preset: 'flow-lp',
      dataset: 'fashion-mnist',
      epochs: Number(values.epochs),
      hidden: Number(values.hidden),
      seed: Number(values.seed),
      out,
      ...optional('trainSize', values['train-size']),
      ...optional('testSize', values['test-size']),
    },
  ],
  'flow-lp-glow options',
);
const result = await runTrainFlow(config, { progress: process.stderr.isTTY });
const summary = {
  preset: 'flow-lp',
  config,
  testBitsPerDim: result.testBitsPerDim,
  trainBitsPerDim: result.trainBitsPerDim,
  steps: result.steps,
  epochs: result.history.map(({ epoch, trainBitsPerDim, testBitsPerDim, seconds }) => ({
    epoch,
    trainBitsPerDim,
    testBitsPerDim,
    seconds,
  })),
};
atomicWrite(join(out, 'bits-per-dim.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify({ out, testBitsPerDim: result.testBitsPerDim, steps: result.steps }));
