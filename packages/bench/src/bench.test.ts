import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { layersResNetStep } from './layers-resnet';
import { runPeer } from './peers';
import { rawOpsResNetStep } from './rawops-resnet';
import { replaceMarkdownSection } from './report';
import { medianStepMs } from './timing';

describe('bench harness', () => {
  it('reports the median step time after warm-up', async () => {
    const durations = [50, 1, 30, 10, 20, 40];
    let call = 0;
    let now = 0; // a clock the steps advance, so the test never depends on the machine's load
    const median = await medianStepMs(
      async () => {
        now += durations[call++];
      },
      { warmup: 1, repeats: 5, clock: () => now },
    );
    expect(call).toBe(6);
    expect(median).toBe(20); // the warm-up's 50 left out
  });

  it("reads a peer's last JSON line and survives a failing peer", () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-bench-'));
    const peer = join(dir, 'peer.sh');
    writeFileSync(peer, '#!/bin/sh\necho warming up\necho \'{"ms_per_step": 12.5, "threads": 1}\'\n');
    chmodSync(peer, 0o755);
    expect(runPeer('/bin/sh', peer, ['--bench'], 1)).toEqual({ ms: 12.5, threads: 1 });
    const failing = join(dir, 'failing.sh');
    writeFileSync(failing, '#!/bin/sh\nexit 3\n');
    const result = runPeer('/bin/sh', failing, [], 2);
    expect(result.ms).toBeNull();
    expect(result.note).toMatch(/Command failed/);
  });

  it('replaces one marked section of a results file and keeps the rest', () => {
    const first = replaceMarkdownSection('# Bench\n\nprose\n', 'users', '| a |\n');
    expect(first).toBe('# Bench\n\nprose\n\n<!-- bench:users -->\n| a |\n<!-- /bench:users -->\n');
    const second = replaceMarkdownSection(first + 'after\n', 'users', '| b |');
    expect(second).toBe('# Bench\n\nprose\n\n<!-- bench:users -->\n| b |\n<!-- /bench:users -->\nafter\n');
  });
});

describe("users' ResNet-20 rows", () => {
  it.each([
    ['raw tf ops', rawOpsResNetStep],
    ['tf.layers', layersResNetStep],
  ])(
    '%s: tiny SGD steps repeat exactly, lower the loss on their batch and free what they made',
    async (_, build) => {
      await initBackend({ backend: 'wasm', threads: 1, log: false });
      const threeSteps = () => {
        const { step, dispose } = build({ batch: 4, channels: 1, size: 8 });
        const losses = [step(), step(), step()];
        dispose();
        return losses;
      };
      const first = threeSteps(); // tfjs-layers caches a few scalars for the whole process on first use
      const before = tf.memory().numTensors;
      const losses = threeSteps();
      expect(losses).toEqual(first); // seeded weights and batch: a rebuild repeats every loss
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[2]).toBeLessThan(losses[0]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
