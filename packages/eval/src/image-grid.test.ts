import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assertNoTensorLeak, initBackend } from '@perturb/core';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeAugmentationGrid } from './image-grid';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('augmentation grids', () => {
  it('writes clean | augmented | difference rows', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perturb-grid-')), 'aug.png');
    const clean = tf.zeros([2, 2, 2, 1]) as tf.Tensor4D;
    const augmented = tf.fill([2, 2, 2, 1], 0.5) as tf.Tensor4D;
    await assertNoTensorLeak(() => writeAugmentationGrid(path, clean, augmented));
    const png = decode(readFileSync(path));
    expect([png.width, png.height]).toEqual([3 * 3 + 1, 2 * 3 + 1]);
    // First row: clean (black), augmented (0.5 → 128), difference scaled to white.
    expect([png.data[1 * png.width + 1], png.data[1 * png.width + 4], png.data[1 * png.width + 7]]).toEqual([
      0, 128, 255,
    ]);
    tf.dispose([clean, augmented]);
  });
});
