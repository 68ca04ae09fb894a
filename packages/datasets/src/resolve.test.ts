import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CifarSpec } from './catalog';
import { DATASETS } from './catalog';
import { classCounts } from './dataset';
import { loadDataset, loadSpec } from './load';
import { defaultCacheDir, resolveDataset } from './resolve';
import { stratifiedSubset } from './subset';
import { smallSpec, tempDir, writeIdxPair } from './testing/fixtures';

afterEach(() => vi.unstubAllEnvs());

const DEBIAN_FASHION = '/usr/share/datasets/fashion-mnist';
const hasDebianFashion = existsSync(join(DEBIAN_FASHION, 'train-images-idx3-ubyte.gz'));

describe('catalog', () => {
  it('names every class once', () => {
    for (const spec of Object.values(DATASETS))
      expect(new Set(spec.classNames).size, spec.name).toBe(spec.name === 'cifar100' ? 100 : 10);
    expect(new Set((DATASETS.cifar100 as CifarSpec).coarseClassNames).size).toBe(20);
  });
});

describe('resolveDataset', () => {
  it('searches $PERTURB_DATA, then the cache, then system folders', async () => {
    const env = tempDir();
    const cache = tempDir();
    writeIdxPair(join(cache, 'mnist'), 'train', [1, 2]);
    vi.stubEnv('PERTURB_DATA', ''); // a developer's own data folder must not come first
    const fromCache = await resolveDataset('mnist', { cacheDir: cache });
    expect(fromCache.source).toBe('cache');
    writeIdxPair(join(env, 'mnist'), 'train', [3], { gzip: true });
    vi.stubEnv('PERTURB_DATA', env);
    const fromEnv = await resolveDataset('mnist', { cacheDir: cache });
    expect(fromEnv.source).toBe('env');
    expect(fromEnv.files).toMatchObject({
      kind: 'idx',
      images: join(env, 'mnist', 'train-images-idx3-ubyte.gz'),
    });
    expect(Array.from((await loadSpec(smallSpec('mnist', 1, 1), { cacheDir: cache })).labels)).toEqual([3]);
    const explicit = await resolveDataset('mnist', { path: join(cache, 'mnist'), cacheDir: cache });
    expect(explicit.source).toBe('path');
  });

  it('uses $XDG_CACHE_HOME for the default cache', () => {
    vi.stubEnv('XDG_CACHE_HOME', '/tmp/xdg');
    expect(defaultCacheDir()).toBe('/tmp/xdg/perturb');
  });

  it('explains where it looked and how to fix it when nothing is found', async () => {
    const cache = tempDir();
    vi.stubEnv('PERTURB_DATA', '');
    vi.stubEnv('PERTURB_DOWNLOAD', '');
    writeIdxPair(join(cache, 'mnist'), 'train', [1]); // the test split is still missing
    const error = await resolveDataset('mnist', {
      split: 'test',
      cacheDir: cache,
      useSystemDirs: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    const { problem, fix } = error as PerturbError;
    expect(problem).toContain('mnist (test) was not found');
    expect(problem).toContain('$PERTURB_DATA (not set)');
    expect(problem).toContain(
      `${join(cache, 'mnist')} (no t10k-images-idx3-ubyte[.gz] or t10k-labels-idx1-ubyte[.gz])`,
    );
    expect(fix).toMatch(/Set PERTURB_DATA .*pass \{ path \}.*download: true/);
  });

  it('fails on an explicit path without the files instead of searching elsewhere', async () => {
    const dir = tempDir();
    writeIdxPair(dir, 'train', [1], { gzip: true });
    await expect(resolveDataset('fashion-mnist', { path: dir, split: 'test' })).rejects.toThrow(
      /does not hold fashion-mnist \(test\): no t10k-images/,
    );
  });

  it('rejects unknown names, listing the known ones', async () => {
    await expect(resolveDataset('imagenet')).rejects.toThrow(
      /unknown dataset "imagenet". Use one of: fashion-mnist-small, fashion-mnist, mnist/,
    );
  });
});

describe('record counts', () => {
  it('refuses MNIST files that hold fewer examples than the split, naming the file', async () => {
    const dir = tempDir();
    writeIdxPair(dir, 't10k', [1, 2, 3], { gzip: true });
    const error = await loadDataset('mnist', { path: dir, split: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    expect((error as PerturbError).problem).toBe(
      `${join(dir, 't10k-images-idx3-ubyte.gz')} holds 3 images, expected 10,000 (mnist)`,
    );
    expect((error as PerturbError).fix).toMatch(/Delete it so it is downloaded again/);
  });

  it('names a labels file cut short when the images file is whole', async () => {
    const dir = tempDir();
    writeIdxPair(dir, 'train', [1, 2, 3]);
    writeIdxPair(join(dir, 'cut'), 'train', [1, 2]);
    renameSync(join(dir, 'cut', 'train-labels-idx1-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
    await expect(loadSpec(smallSpec('fashion-mnist', 3, 1), { path: dir })).rejects.toThrow(
      /train-labels-idx1-ubyte holds 2 labels, expected 3 \(fashion-mnist\)/,
    );
  });
});

describe('fashion-mnist-small (shipped in the package)', () => {
  it('loads 2,000 training and 1,000 test images, balanced', async () => {
    const train = await loadDataset('fashion-mnist-small');
    const test = await loadDataset('fashion-mnist-small', { split: 'test' });
    expect(train.images.length).toBe(2000 * 784);
    expect(classCounts(train)).toEqual(new Array(10).fill(200));
    expect(classCounts(test)).toEqual(new Array(10).fill(100));
    expect(train.shape).toEqual({ height: 28, width: 28, channels: 1 });
    expect(train.classNames[9]).toBe('Ankle boot');
    const padded = await loadDataset('fashion-mnist-small', { split: 'test', padTo: 32 });
    expect(padded.shape).toEqual({ height: 32, width: 32, channels: 1 });
  });

  it('ignores $PERTURB_DATA', async () => {
    vi.stubEnv('PERTURB_DATA', tempDir());
    expect((await resolveDataset('fashion-mnist-small')).source).toBe('package');
  });
});

describe.skipIf(!hasDebianFashion)(
  `real Fashion-MNIST (Debian's ${DEBIAN_FASHION}; skipped when dataset-fashion-mnist is not installed)`,
  () => {
    it('loads 60,000 training and 10,000 test images from the system folder', async () => {
      vi.stubEnv('PERTURB_DATA', '');
      const options = { cacheDir: tempDir() };
      const train = await loadDataset('fashion-mnist', options);
      const test = await loadDataset('fashion-mnist', { ...options, split: 'test' });
      expect((await resolveDataset('fashion-mnist', options)).source).toBe('system');
      expect(train.labels.length).toBe(60_000);
      expect(test.labels.length).toBe(10_000);
      expect(classCounts(train)).toEqual(new Array(10).fill(6000));
      expect(train.images.length).toBe(60_000 * 784);

      // The shipped subset is exactly the first 200 (train) / 100 (test) images per class.
      for (const [full, perClass, split] of [
        [train, 200, 'train'],
        [test, 100, 'test'],
      ] as const) {
        const expected = stratifiedSubset(full, { size: perClass * 10 });
        const shipped = await loadDataset('fashion-mnist-small', { split });
        expect(Buffer.compare(Buffer.from(shipped.labels), Buffer.from(expected.labels))).toBe(0);
        expect(Buffer.compare(Buffer.from(shipped.images), Buffer.from(expected.images))).toBe(0);
      }
    });
  },
);

if (!hasDebianFashion)
  console.warn(
    `skipping the real Fashion-MNIST test: ${DEBIAN_FASHION} is absent (apt-get install dataset-fashion-mnist)`,
  );
