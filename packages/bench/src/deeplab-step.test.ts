import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { deeplabPeerArgs, deeplabStep, type DeepLabStepSpec } from './deeplab-step';
import { findPeer, pythonWithTorch } from './peers';

const TINY: DeepLabStepSpec = {
  batch: 2,
  size: 16,
  classes: 3,
  blocks: [1, 1, 1, 1],
  outputStride: 16,
  asppChannels: 8,
};
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('deeplabv3plus row', () => {
  it('one tiny SGD step gives a finite loss and frees what it made', async () => {
    await initBackend({ backend: 'wasm', threads: 1, log: false });
    const before = tf.memory().numTensors;
    const { step, dispose } = deeplabStep(TINY);
    const losses = [step(), step()];
    dispose();
    expect(losses.every(Number.isFinite)).toBe(true);
    // Random labels over 3 classes: the first loss is near ln 3, not a broken number.
    expect(losses[0]).toBeGreaterThan(0.5);
    expect(losses[0]).toBeLessThan(5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('finds its peer in this package and the shared peers elsewhere', () => {
    expect(findPeer(repoRoot, 'deeplab_peer.py')).toBe(`${repoRoot}/packages/bench/peers/deeplab_peer.py`);
    expect(findPeer(repoRoot, 'no_such_peer.py')).toBeNull();
  });

  const python = pythonWithTorch();
  it.skipIf(!python)(
    "the peer parses the row's flags and gives per-pixel logits at the input size",
    () => {
      const script = `${repoRoot}/packages/bench/peers/deeplab_peer.py`;
      const run = (args: string[]) =>
        JSON.parse(execFileSync(python!, [script, ...args, '--threads', '1'], { encoding: 'utf8' }).trim());
      const out = run(['--shapes', ...deeplabPeerArgs(TINY)]);
      expect(out.logits).toEqual([TINY.batch, TINY.classes, TINY.size, TINY.size]);
      expect(out.blocks).toEqual(TINY.blocks);
      expect(out.output_stride).toBe(16);
      const os8 = run(['--shapes', ...deeplabPeerArgs({ ...TINY, outputStride: 8 })]);
      expect(os8.logits).toEqual([TINY.batch, TINY.classes, TINY.size, TINY.size]);
      expect(() => execFileSync(python!, [script, '--size', '20'], { stdio: 'pipe' })).toThrow(
        /multiple of --output-stride 16/,
      );
    },
    // Three Python processes, each importing torch: tens of seconds on a loaded machine.
    180_000,
  );
});
