import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PerturbError } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx } from './idx';
import { loadIdxDataset } from './idx-files';
import { pixel, put, tempDir, writeIdxPair } from './testing/fixtures';

const info = { name: 'toy', classNames: ['a', 'b', 'c'] };

describe('IDX', () => {
  it('round-trips dims and bytes through encodeIdx/parseIdx', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    const parsed = parseIdx(encodeIdx([2, 3, 4], data), 'mem');
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  for (const gzip of [false, true]) {
    it(`loads an images/labels pair (${gzip ? 'gzip' : 'plain'})`, () => {
      const dir = tempDir();
      writeIdxPair(dir, 'train', [2, 0, 1, 2, 1], { side: 4, gzip });
      const ext = gzip ? '.gz' : '';
      const ds = loadIdxDataset(
        join(dir, `train-images-idx3-ubyte${ext}`),
        join(dir, `train-labels-idx1-ubyte${ext}`),
        info,
      );
      expect(ds.shape).toEqual({ height: 4, width: 4, channels: 1 });
      expect(Array.from(ds.labels)).toEqual([2, 0, 1, 2, 1]);
      expect(ds.images.length).toBe(5 * 16);
      expect(ds.images[3 * 16 + 5]).toBe(pixel(3, 5));
      expect(ds.numClasses).toBe(3);
    });
  }

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = encodeIdx([2], Uint8Array.of(0, 1));
    bytes[0] = 0x12;
    expect(() => parseIdx(bytes, 'labels.idx')).toThrow(
      /labels\.idx is not an IDX file: magic number 0x12000801/,
    );
  });

  it('rejects non-byte IDX types', () => {
    const bytes = encodeIdx([2], Uint8Array.of(0, 1));
    bytes[2] = 0x0d;
    expect(() => parseIdx(bytes, 'f.idx')).toThrow(/type 0xd/);
  });

  it('rejects a truncated file and trailing bytes', () => {
    const bytes = encodeIdx([3, 2, 2], new Uint8Array(12));
    expect(() => parseIdx(bytes.subarray(0, 20), 'cut.idx')).toThrow(
      /cut\.idx is truncated: its header \[3, 2, 2\] needs 28 bytes, found 20/,
    );
    expect(() => parseIdx(bytes.subarray(0, 9), 'cut.idx')).toThrow(/truncated inside its IDX header/);
    expect(() => parseIdx(Buffer.concat([bytes, Uint8Array.of(1)]), 'long.idx')).toThrow(/1 bytes after/);
  });

  it('rejects a truncated gzip file with a PerturbError', () => {
    const dir = tempDir();
    const full = gzipSync(encodeIdx([100], new Uint8Array(100).fill(1)));
    const path = put(join(dir, 'labels.gz'), full.subarray(0, full.length - 10));
    expect(() => loadIdxDataset(path, path, info)).toThrow(PerturbError);
    expect(() => loadIdxDataset(path, path, info)).toThrow(/labels\.gz is not a complete gzip file/);
  });

  it('rejects an image/label count mismatch', () => {
    const dir = tempDir();
    writeIdxPair(dir, 'a', [0, 1, 2]);
    writeIdxPair(dir, 'b', [0, 1]);
    expect(() =>
      loadIdxDataset(join(dir, 'a-images-idx3-ubyte'), join(dir, 'b-labels-idx1-ubyte'), info),
    ).toThrow(/a-images-idx3-ubyte holds 3 images but .*b-labels-idx1-ubyte holds 2 labels/);
  });

  it('rejects labels outside the class range and swapped files', () => {
    const dir = tempDir();
    writeIdxPair(dir, 'train', [0, 7]);
    const images = join(dir, 'train-images-idx3-ubyte');
    const labels = join(dir, 'train-labels-idx1-ubyte');
    expect(() => loadIdxDataset(images, labels, info)).toThrow(
      /has label 7 at example 1, but the dataset has only 3 classes/,
    );
    expect(() => loadIdxDataset(labels, images, info)).toThrow(/not images/);
  });

  it('reports a missing file by name', () => {
    expect(() => loadIdxDataset('/nonexistent/x', '/nonexistent/y', info)).toThrow(
      /cannot read \/nonexistent\/x \(ENOENT\)/,
    );
  });
});
