import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config';
import { runTrain } from './run-train';
import { runTrainVaeGan } from './run-train-vaegan';
import { resolveVaeGanTrainingConfig } from './vaegan-config';

describe('perturb train', () => {
  it('spends a step budget with on-manifold adversarial training and frees the VAE-GANs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-train-'));
    const models = join(dir, 'vaegan');
    await runTrainVaeGan(
      resolveVaeGanTrainingConfig([{ trainSize: 20, latentSize: 2, widths: [4], epochs: 1, out: models }]),
      { progress: false },
    );
    const config = resolveConfig([
      {
        trainSize: 20,
        testSize: 20,
        model: 'lenet5',
        batchSize: 10,
        steps: 3, // two batches per epoch: one full epoch and one step of the next
        augmenters: [{ onManifoldAdversarial: { models, iterations: 1 } }],
        out: join(dir, 'run'),
      },
    ]);
    const before = tf.memory().numTensors;
    const code = { commit: 'abc123', version: '1.2.3' };
    const result = await runTrain(config, { progress: false, code });
    expect(result.epochs.map((e) => e.step)).toEqual([2, 3]);
    expect(tf.memory().numTensors).toBe(before);
    // The code and the threads that trained it are in result.json, for the grid's report.
    const recorded = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8'));
    expect([recorded.code, recorded.threads]).toEqual([code, activeBackend()!.threads]);
  });
});
