import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeAugmentationGrid, writeImageGrid } from './image-grid';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('image grids', () => {
  it('lays images out in rows with padding and clamps values', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perturb-grid-')), 'g.png');
    const images = tf.tensor4d([0, 1, 2, -1], [4, 1, 1, 1]);
    expect(writeImageGrid(path, images, { cols: 2, padding: 1 })).toEqual({ width: 5, height: 5 });
    const png = PNG.sync.read(readFileSync(path));
    const gray = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    expect([gray(1, 1), gray(3, 1), gray(1, 3), gray(3, 3), gray(0, 0)]).toEqual([0, 255, 255, 0, 255]);
  });

  it('writes clean | augmented | difference rows and names bad inputs', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perturb-grid-')), 'aug.png');
    const clean = tf.zeros([2, 2, 2, 1]) as tf.Tensor4D;
    writeAugmentationGrid(path, clean, tf.fill([2, 2, 2, 1], 0.5) as tf.Tensor4D);
    const png = PNG.sync.read(readFileSync(path));
    expect([png.width, png.height]).toEqual([3 * 3 + 1, 2 * 3 + 1]);
    expect(() => writeImageGrid(path, tf.zeros([1, 2, 2, 2]) as tf.Tensor4D)).toThrow(
      /cannot write 2-channel images/,
    );
  });

  it('lays out RGB images in a padded grid, clamping values to [0, 1]', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perturb-grid-')), 'grid.png');
    const images = tf.tensor4d(
      [
        1, 0, 0, 2, 0, 0, 1, 0, 0, 1, 0, 0, /* */ 0, 0, -1, 0, 0, 1, 0, 0, 1, 0, 0, 1, /* */ 0.5, 0.5, 0.5,
        0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
      ],
      [3, 2, 2, 3],
    );
    expect(writeImageGrid(path, images, { cols: 2 })).toEqual({ width: 7, height: 7 });
    const png = PNG.sync.read(readFileSync(path));
    const pixel = (x: number, y: number) =>
      Array.from(png.data.subarray((y * 7 + x) * 4, (y * 7 + x) * 4 + 3));
    expect(pixel(1, 1)).toEqual([255, 0, 0]);
    expect(pixel(4, 2)).toEqual([0, 0, 255]);
    expect(pixel(1, 4)).toEqual([128, 128, 128]);
    expect(pixel(0, 0)).toEqual([255, 255, 255]);
    images.dispose();
  });
});
