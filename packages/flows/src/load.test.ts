import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, TinyClassifier, initBackend } from '@perturb/core';
import { saveCheckpoint } from '@perturb/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Glow } from './glow';
import { loadGlow } from './load-file';
import { TINY_GLOW, temporaryFolders } from './test-helpers';

const tempDir = temporaryFolders('perturb-glow-');

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('loadGlow', () => {
  it('rebuilds a saved Glow from its checkpoint alone', () => {
    const rng = new Rng(3);
    const glow = new Glow({ ...TINY_GLOW, rng: rng.child('flow') });
    const x = rng.uniformTensor([2, 8, 8, 1]) as tf.Tensor4D;
    glow.initialize(x);
    const path = join(tempDir(), 'checkpoint.safetensors');
    saveCheckpoint(path, glow, { model: glow.config });
    const loaded = loadGlow(path);
    expect(loaded.config).toEqual(glow.config);
    const [a] = glow.encode(x).latents;
    const [b] = loaded.encode(x).latents;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  });

  it('frees the half-built Glow when the checkpoint does not fit its configuration', () => {
    const glow = new Glow({ inputShape: [8, 8, 1], levels: 1, steps: 1, hidden: 4, rng: new Rng(1) });
    const path = join(tempDir(), 'checkpoint.safetensors');
    // The metadata promises wider coupling networks than the weights stored next to it.
    saveCheckpoint(path, glow, { model: { ...glow.config, hidden: 8 } });
    glow.dispose();
    const before = tf.memory().numTensors;
    for (let attempt = 0; attempt < 2; attempt++) expect(() => loadGlow(path)).toThrow(/has shape/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names a checkpoint that is not a Glow', () => {
    const path = join(tempDir(), 'other.safetensors');
    saveCheckpoint(path, new TinyClassifier(), { epoch: 1 });
    expect(() => loadGlow(path)).toThrow(/is not a Glow checkpoint/);
  });
});
