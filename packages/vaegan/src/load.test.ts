import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { runFolder, saveCheckpoint } from '@perturb/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classCheckpointName, loadClassSpecific } from './class-specific';
import { loadVaeGan } from './load-file';
import { tinyVaeGan } from './test-support';
import type { VaeGanCheckpointMeta } from './train';
import { VaeGan } from './vaegan';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  dir = mkdtempSync(join(tmpdir(), 'vaegan-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Saves a tiny VAE-GAN whose metadata claims `latentSize`, which its weights may not have. */
function saveTiny(path: string, latentSize: number): void {
  const model = tinyVaeGan();
  const meta: VaeGanCheckpointMeta = { config: { ...model.config, latentSize } };
  saveCheckpoint(path, model, meta);
  model.dispose();
}

/** Calls `load` twice, expecting it to fail each time, and returns how many tensors it left behind. */
function tensorsLeftByFailures(load: () => unknown, error: RegExp): number {
  const before = tf.memory().numTensors;
  for (let attempt = 0; attempt < 2; attempt++) expect(load).toThrow(error);
  return tf.memory().numTensors - before;
}

describe('VAE-GAN loaders after a checkpoint that does not fit', () => {
  it('loadVaeGan frees the half-built model', () => {
    const path = join(dir, 'wrong-latent.safetensors');
    saveTiny(path, 5); // the weights have latent size 4
    expect(tensorsLeftByFailures(() => loadVaeGan(path), /has shape/)).toBe(0);
  });

  it('loadClassSpecific frees the classes it had already loaded', () => {
    const outDir = mkdtempSync(join(dir, 'classes-'));
    saveTiny(join(outDir, classCheckpointName(0)), 4);
    saveTiny(join(outDir, classCheckpointName(1)), 5);
    expect(tensorsLeftByFailures(() => loadClassSpecific(runFolder(outDir)), /has shape/)).toBe(0);
  });
});

describe('loadVaeGan', () => {
  it('loads a checkpoint from before the batchNorm setting as a model without BatchNorm, in evaluation mode', () => {
    const path = join(dir, 'before-batchnorm.safetensors');
    const model = new VaeGan({ imageShape: [8, 8, 1], latentSize: 4, widths: [4, 8], batchNorm: false });
    const { batchNorm: _, ...oldConfig } = model.config;
    saveCheckpoint(path, model, { config: oldConfig });
    const loaded = loadVaeGan(path);
    expect(loaded.config.batchNorm).toBe(false);
    expect(loaded.training).toBe(false);
    const x = tf.fill([1, 8, 8, 1], 0.5) as tf.Tensor4D;
    expect(Array.from(loaded.reconstruct(x).dataSync())).toEqual(Array.from(model.reconstruct(x).dataSync()));
    tf.dispose([x]);
    for (const m of [model, loaded]) m.dispose();
  });
});
