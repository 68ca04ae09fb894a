import { defineAugmenter, z } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { listRegistered } from './list';
import { runPerturb } from './testing/perturb-process';

describe('perturb list', () => {
  it('shows augmenters with their options and defaults, and models with their sites', async () => {
    defineAugmenter({
      name: 'listedNoise',
      summary: 'a registered augmenter',
      schema: z.strictObject({ std: z.number().default(0.05).describe('noise level') }),
      create: () => ({ name: 'listedNoise' }),
    });
    const augmenters = await listRegistered('augmenters');
    expect(augmenters).toMatch(/ {2}listedNoise — a registered augmenter\n {6}std: 0\.05 — noise level\n/);
    const models = await listRegistered('models');
    expect(models).toMatch(/ {2}lenet5 — LeNet-5; sites: block1, block2\n/);
    expect(models).toMatch(
      / {2}resnet20 — .*; sites: stem, stage1\.block0, stage1\.block1, stage1, stage2\.block0, .*, stage3\.block1, stage3\n/,
    );
    const datasets = await listRegistered('datasets');
    expect(datasets).toMatch(/fashion-mnist-small/);
    expect(datasets).toMatch(/ {2}image-folder — your own photos.*\n( {6}.*\n)* {6}channels: 3 — 1: gray/);
  });

  it('prints the version and the defaults in --help', async () => {
    const [version, help] = await Promise.all([
      runPerturb(['--version']),
      runPerturb(['train-flow', '--help']),
    ]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(help.stdout).toMatch(/--depth <n> +flow steps K per level \(default 8\)/);
    expect(help.stdout).not.toMatch(/--steps/);
  });
});
