import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { imageGridPng } from './image-grid';
import { writeImageGrid } from './image-grid-file';
import { assertNoTensorLeak } from './leaks';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** The decoded PNG and a reader of the pixel at (x, y) as its channel values. */
function pixels(png: Uint8Array) {
  const image = decode(png);
  const at = (x: number, y: number) => {
    const start = (y * image.width + x) * image.channels;
    return Array.from(image.data.subarray(start, start + image.channels));
  };
  return { image, at };
}

describe('image grids', () => {
  it('lays gray images out in rows with padding, clamping values and keeping one channel', () => {
    const images = tf.tensor4d([0, 1, 2, -1], [4, 1, 1, 1]);
    const { image, at } = pixels(imageGridPng(images, { cols: 2, padding: 1 }));
    expect([image.width, image.height, image.channels]).toEqual([5, 5, 1]);
    expect([at(1, 1), at(3, 1), at(1, 3), at(3, 3), at(0, 0)]).toEqual([[0], [255], [255], [0], [255]]);
    images.dispose();
  });

  it('lays out RGB images in a padded grid, clamping values to [0, 1]', () => {
    const images = tf.tensor4d(
      [
        1, 0, 0, 2, 0, 0, 1, 0, 0, 1, 0, 0, /* */ 0, 0, -1, 0, 0, 1, 0, 0, 1, 0, 0, 1, /* */ 0.5, 0.5, 0.5,
        0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
      ],
      [3, 2, 2, 3],
    );
    const { image, at } = pixels(imageGridPng(images, { cols: 2 }));
    expect([image.width, image.height]).toEqual([7, 7]);
    expect(at(1, 1)).toEqual([255, 0, 0]);
    expect(at(4, 2)).toEqual([0, 0, 255]);
    expect(at(1, 4)).toEqual([128, 128, 128]);
    expect(at(0, 0)).toEqual([255, 255, 255]);
    images.dispose();
  });

  it('writes the grid atomically and returns its size, leaking no tensor', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perturb-grid-')), 'images', 'g.png');
    const images = tf.fill([5, 3, 2, 1], 0.25) as tf.Tensor4D;
    await assertNoTensorLeak(() => {
      expect(writeImageGrid(path, images, { padding: 0 })).toEqual({ width: 6, height: 6 });
    });
    expect(readFileSync(path)).toEqual(Buffer.from(imageGridPng(images, { padding: 0 })));
    images.dispose();
  });

  it('names bad inputs', () => {
    expect(() => imageGridPng(tf.zeros([1, 2, 2, 2]) as tf.Tensor4D)).toThrow(
      /cannot write 2-channel images/,
    );
    expect(() => imageGridPng(tf.zeros([0, 2, 2, 1]) as tf.Tensor4D)).toThrow(/no images/);
  });
});
