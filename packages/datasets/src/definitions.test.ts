import { join } from 'node:path';
import { PerturbError, datasets, defineDataset, z } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES } from './catalog';
import { classCounts } from './dataset';
import { DATASET_DEFINITIONS, openDataset } from './definitions';
import { cifarRecords, put, tempDir } from './testing/fixtures';

describe('dataset definitions', () => {
  it('registers every catalog dataset in core’s registry, with a summary', () => {
    for (const name of DATASET_NAMES) {
      expect(datasets.get(name)).toBe(DATASET_DEFINITIONS[name]);
    }
    expect(DATASET_DEFINITIONS['fashion-mnist-small'].summary).toBe(
      '10 classes, 2,000 training / 1,000 test images of 28×28×1, shipped in @perturb/datasets',
    );
    expect(DATASET_DEFINITIONS.cifar10.summary).toBe(
      '10 classes, 50,000 training / 10,000 test images of 32×32×3',
    );
  });

  it('loads balanced, padded subsets of each split', async () => {
    const splits = await openDataset('fashion-mnist-small', { trainSize: 100, testSize: 50, padTo: 32 });
    const train = await splits.train();
    expect(classCounts(train)).toEqual(new Array(10).fill(10));
    expect(train.shape).toEqual({ height: 32, width: 32, channels: 1 });
    expect((await splits.test()).labels.length).toBe(50);
    expect((await (await openDataset('fashion-mnist-small')).test()).labels.length).toBe(1000);
  });

  it('refuses unknown settings and datasets with a did-you-mean, and bad values', async () => {
    const typo = await openDataset('fashion-mnist-small', { trainSzie: 10 }, 'a.yaml').catch(
      (e: unknown) => e,
    );
    expect(typo).toBeInstanceOf(PerturbError);
    expect((typo as PerturbError).message).toMatch(
      /"trainSzie" is not a setting of a\.yaml\. did you mean "trainSize"\?/,
    );
    await expect(openDataset('mnist', { labelMode: 'coarse' })).rejects.toThrow(
      /"labelMode" is not a setting of the options of dataset mnist/,
    );
    await expect(openDataset('mnist', { trainSize: 0 })).rejects.toThrow(
      /"trainSize" is 0 .*use a value > 0/,
    );
    await expect(openDataset('cifar-10')).rejects.toThrow(
      /unknown dataset "cifar-10".*did you mean "cifar10"\?/,
    );
  });

  it('reads only the split asked for, from dataRoot, with CIFAR-100’s coarse labels on request', async () => {
    const dir = tempDir();
    // A whole CIFAR-100 test file (10,000 records) and no training file at all.
    const labels = Array.from({ length: 10_000 }, (_, i) => [i % 20, i % 100]);
    put(join(dir, 'cifar-100-binary', 'test.bin'), cifarRecords(labels));
    const splits = await openDataset('cifar100', { dataRoot: dir, labelMode: 'coarse', testSize: 40 });
    const test = await splits.test();
    expect(test.numClasses).toBe(20);
    expect(classCounts(test)).toEqual(new Array(20).fill(2));
    await expect(splits.train()).rejects.toThrow(/does not hold cifar100 \(train\)/);
  });

  it('loads a dataset a plugin registers, and refuses one whose load() returns no splits', async () => {
    const fashion = await openDataset('fashion-mnist-small');
    defineDataset({
      name: 'plugin-fashion',
      summary: 'the shipped Fashion-MNIST subset, under another name',
      schema: z.strictObject({}),
      load: async () => fashion,
    });
    expect((await (await openDataset('plugin-fashion')).test()).labels.length).toBe(1000);
    defineDataset({ name: 'plugin-broken', summary: '', schema: z.strictObject({}), load: async () => 42 });
    await expect(openDataset('plugin-broken')).rejects.toThrow(/dataset "plugin-broken" loaded no splits/);
  });
});
