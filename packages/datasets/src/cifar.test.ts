import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PerturbError } from '@perturb/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDataset, loadSpec } from './load';
import { cifarRecords, makeTar, pixel, put, smallSpec, tempDir } from './testing/fixtures';

/** The catalog's CIFAR entries, expecting the record counts of the small files below. */
const cifar10 = smallSpec('cifar10', 10, 3);
const cifar100 = smallSpec('cifar100', 3, 1);

afterEach(() => vi.unstubAllEnvs());

/** CIFAR-10 batches of 2 records each, image n labelled n % 10 (n counted across the split). */
function cifar10Files(): { name: string; data: Uint8Array }[] {
  const batch = (first: number) => cifarRecords([[first % 10], [(first + 1) % 10]]);
  return [
    ...[1, 2, 3, 4, 5].map((i) => ({
      name: `cifar-10-batches-bin/data_batch_${i}.bin`,
      data: batch(2 * (i - 1)),
    })),
    { name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords([[3], [4], [5]]) },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from('airplane\n') },
  ];
}

const writeFolder = (dir: string, files: { name: string; data: Uint8Array }[]) =>
  files.forEach((f) => put(join(dir, f.name), f.data));

describe('CIFAR-10', () => {
  it('loads the extracted folder, given its parent or the folder itself', async () => {
    const dir = tempDir();
    writeFolder(dir, cifar10Files());
    for (const path of [dir, join(dir, 'cifar-10-batches-bin')]) {
      const train = await loadSpec(cifar10, { path });
      expect(train.shape).toEqual({ height: 32, width: 32, channels: 3 });
      expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(train.classNames[9]).toBe('truck');
      // CHW records become HWC: image 0, row 0 col 1, green channel → byte (0*32+1)*3+1.
      expect(train.images[4]).toBe(pixel(0, 4));
      // within-batch index 1 of data_batch_3 is image 1 of that file: the pixel pattern restarts per file.
      expect(Array.from(train.images.subarray(5 * 3072, 5 * 3072 + 6))).toEqual(
        [0, 1, 2, 3, 4, 5].map((i) => pixel(1, i)),
      );
    }
    const test = await loadSpec(cifar10, { path: dir, split: 'test' });
    expect(Array.from(test.labels)).toEqual([3, 4, 5]);
  });

  it('loads the .tar.gz directly and from $PERTURB_DATA', async () => {
    const dir = tempDir();
    const archive = put(join(dir, 'cifar10', 'cifar-10-binary.tar.gz'), gzipSync(makeTar(cifar10Files())));
    const fromFile = await loadSpec(cifar10, { path: archive, split: 'test' });
    expect(Array.from(fromFile.labels)).toEqual([3, 4, 5]);
    vi.stubEnv('PERTURB_DATA', dir);
    const fromEnv = await loadSpec(cifar10, { cacheDir: tempDir(), useSystemDirs: false });
    expect(fromEnv.labels.length).toBe(10);
    expect(fromEnv.images[3072 + 7]).toBe(pixel(1, 7));
  });

  it('rejects a batch file that is not whole records, naming it', async () => {
    const dir = tempDir();
    const files = cifar10Files();
    files[2] = { ...files[2], data: files[2].data.subarray(0, 3073 + 100) };
    writeFolder(dir, files);
    await expect(loadSpec(cifar10, { path: dir })).rejects.toThrow(
      /data_batch_3\.bin is 3173 bytes, not a whole number of 3073-byte CIFAR records/,
    );
  });

  it('rejects a batch cut at a record boundary, naming the file and both counts', async () => {
    const dir = tempDir();
    const files = cifar10Files();
    files[1] = { ...files[1], data: files[1].data.subarray(0, 3073) };
    writeFolder(dir, files);
    const error = await loadSpec(cifar10, { path: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    expect((error as PerturbError).problem).toBe(
      `${join(dir, 'cifar-10-batches-bin', 'data_batch_2.bin')} holds 1 CIFAR records (3073 bytes each), expected 2 (cifar10)`,
    );
    expect((error as PerturbError).fix).toMatch(/Delete it so it is downloaded again/);
    // The same inside the archive.
    const archive = put(join(dir, 'cifar-10-binary.tar.gz'), gzipSync(makeTar(files)));
    await expect(loadSpec(cifar10, { path: archive })).rejects.toThrow(
      /cifar-10-binary\.tar\.gz:cifar-10-batches-bin\/data_batch_2\.bin holds 1 CIFAR records \(3073 bytes each\), expected 2/,
    );
  });

  it('expects the published record counts: 10,000 per batch', async () => {
    const dir = tempDir();
    writeFolder(dir, cifar10Files());
    await expect(loadDataset('cifar10', { path: dir, split: 'test' })).rejects.toThrow(
      /test_batch\.bin holds 3 CIFAR records \(3073 bytes each\), expected 10,000 \(cifar10\)/,
    );
    await expect(loadDataset('cifar10', { path: dir })).rejects.toThrow(
      /data_batch_1\.bin holds 2 CIFAR records \(3073 bytes each\), expected 10,000 \(cifar10\)/,
    );
  });

  it('rejects an archive that lacks a batch', async () => {
    const dir = tempDir();
    const archive = put(
      join(dir, 'cifar-10-binary.tar.gz'),
      gzipSync(makeTar(cifar10Files().filter((f) => !f.name.includes('batch_4')))),
    );
    await expect(loadSpec(cifar10, { path: archive })).rejects.toThrow(
      /cifar-10-binary\.tar\.gz has no data_batch_4\.bin/,
    );
  });
});

describe('CIFAR-100', () => {
  const files = () => [
    {
      name: 'cifar-100-binary/train.bin',
      data: cifarRecords([
        [19, 99],
        [0, 5],
        [7, 42],
      ]),
    },
    { name: 'cifar-100-binary/test.bin', data: cifarRecords([[1, 2]]) },
  ];

  it('reads fine labels by default and coarse ones on request, from the archive and the folder', async () => {
    const dir = tempDir();
    const archive = put(join(dir, 'cifar-100-binary.tar.gz'), gzipSync(makeTar(files())));
    writeFolder(join(dir, 'extracted'), files());
    for (const path of [archive, join(dir, 'extracted')]) {
      const fine = await loadSpec(cifar100, { path });
      expect(Array.from(fine.labels)).toEqual([99, 5, 42]);
      expect(fine.numClasses).toBe(100);
      expect(fine.classNames[99]).toBe('worm');
      const coarse = await loadSpec(cifar100, { path, labelMode: 'coarse' });
      expect(Array.from(coarse.labels)).toEqual([19, 0, 7]);
      expect(coarse.numClasses).toBe(20);
      expect(coarse.classNames[19]).toBe('vehicles_2');
      expect(coarse.images[2 * 3072 + 100]).toBe(pixel(2, 100));
    }
    expect(Array.from((await loadSpec(cifar100, { path: archive, split: 'test' })).labels)).toEqual([2]);
  });

  it('expects the published record counts: 50,000 training and 10,000 test records', async () => {
    const dir = tempDir();
    writeFolder(dir, files());
    await expect(loadDataset('cifar100', { path: dir })).rejects.toThrow(
      /train\.bin holds 3 CIFAR records \(3074 bytes each\), expected 50,000 \(cifar100\)/,
    );
    await expect(loadDataset('cifar100', { path: dir, split: 'test' })).rejects.toThrow(
      /test\.bin holds 1 CIFAR records \(3074 bytes each\), expected 10,000 \(cifar100\)/,
    );
  });

  it('rejects CIFAR-10 records read as CIFAR-100 (wrong record size)', async () => {
    const dir = tempDir();
    put(join(dir, 'cifar-100-binary', 'train.bin'), cifarRecords([[1], [2]]));
    await expect(loadSpec(cifar100, { path: dir })).rejects.toThrow(
      /train\.bin is 6146 bytes, not a whole number of 3074-byte CIFAR records/,
    );
  });
});
