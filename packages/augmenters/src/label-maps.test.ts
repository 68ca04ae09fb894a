/** Each geometric augmenter moves a known label map with its image, nearest for labels, ignore index in the border. */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, Rng, TinyClassifier, compose, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { centerCrop } from './center-crop';
import { randomCrop } from './crop';
import { cutout } from './cutout';
import { horizontalFlip } from './flip';
import { mixup } from './mixup';
import { pad } from './pad';
import { randomRotate } from './rotate';
import { resize } from './resize';
import { randAugment } from './rand-augment';
import { randomScale } from './scale';
import { oneOf } from './combinators/one-of';
import { contextFor } from './testing/fixtures';

const IGNORE = 255;
/** A 4×4 label map with 16 distinct classes, row-major: class = 4·row + column. */
const LABELS = Array.from({ length: 16 }, (_, i) => i);

/** One sample whose image holds class/16 at every pixel, and its label map. */
function denseBatch(): Batch {
  return {
    x: tf.tensor4d(
      LABELS.map((c) => c / 16),
      [1, 4, 4, 1],
    ),
    y: tf.tensor2d([[1, 0]]),
    labelMap: { classes: tf.tensor3d(LABELS, [1, 4, 4], 'int32'), ignoreIndex: IGNORE },
  };
}

/** The label map of `batch` as rows. */
function rows(batch: Batch): number[][] {
  const [, h, w] = batch.labelMap!.classes.shape;
  const flat = Array.from(batch.labelMap!.classes.dataSync());
  return Array.from({ length: h }, (_, r) => flat.slice(r * w, (r + 1) * w));
}

describe('label-aware geometric augmenters', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 1, width: 4, seed: 1 });
  });

  it('horizontalFlip mirrors the label map with the image', () => {
    const out = horizontalFlip({ p: 1 }).transform!(denseBatch(), contextFor(model, 0));
    expect(rows(out)).toEqual([
      [3, 2, 1, 0],
      [7, 6, 5, 4],
      [11, 10, 9, 8],
      [15, 14, 13, 12],
    ]);
    expect(out.labelMap!.classes.dtype).toBe('int32');
  });

  it('pad puts the ignore index in the label border and the fill in the image border', () => {
    const out = pad({ padding: 1, fill: 0.5 }).transform!(denseBatch(), contextFor(model, 0));
    expect(out.x.shape).toEqual([1, 6, 6, 1]);
    expect(rows(out)).toEqual([
      [IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
      [IGNORE, 0, 1, 2, 3, IGNORE],
      [IGNORE, 4, 5, 6, 7, IGNORE],
      [IGNORE, 8, 9, 10, 11, IGNORE],
      [IGNORE, 12, 13, 14, 15, IGNORE],
      [IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
    ]);
    expect(out.x.dataSync()[0]).toBe(0.5);
  });

  it('randomCrop cuts the label map at the image’s offset, padding with the ignore index', () => {
    for (let seed = 0; seed < 6; seed++) {
      const out = randomCrop({ padding: 2, fill: -1 }).transform!(denseBatch(), contextFor(model, seed));
      const draw = new Rng(seed);
      const [top, left] = [draw.int(5), draw.int(5)];
      const expected = [0, 1, 2, 3].map((r) =>
        [0, 1, 2, 3].map((c) => {
          const [sr, sc] = [r + top - 2, c + left - 2];
          return sr >= 0 && sr < 4 && sc >= 0 && sc < 4 ? 4 * sr + sc : IGNORE;
        }),
      );
      expect(rows(out)).toEqual(expected);
      // The image moved the same way: its padding (−1) is exactly where the labels are ignored.
      const image = Array.from(out.x.dataSync());
      expect(image.map((v) => (v === -1 ? IGNORE : Math.round(v * 16)))).toEqual(expected.flat());
    }
  });

  it('centerCrop cuts the label map with the image at the centre', () => {
    const out = centerCrop({ size: 2 }).transform!(denseBatch(), contextFor(model, 0));
    expect(rows(out)).toEqual([
      [5, 6],
      [9, 10],
    ]);
    expect(Array.from(out.x.dataSync()).map((v) => Math.round(v * 16))).toEqual([5, 6, 9, 10]);
  });

  it('resize repeats label pixels by nearest sampling, never blending class ids', () => {
    const out = resize({ size: [8, 2] }).transform!(denseBatch(), contextFor(model, 0));
    // Twice the rows, half the columns: each row twice, columns 1 and 3 (half-pixel centres).
    expect(rows(out)).toEqual([
      [1, 3],
      [1, 3],
      [5, 7],
      [5, 7],
      [9, 11],
      [9, 11],
      [13, 15],
      [13, 15],
    ]);
    expect(out.labelMap!.classes.dtype).toBe('int32');
    expect(out.x.shape).toEqual([1, 8, 2, 1]);
  });

  it('randomRotate turns the label map by nearest sampling (a quarter turn is exact)', () => {
    const out = randomRotate({ degrees: [90, 90] }).transform!(denseBatch(), contextFor(model, 0));
    // Counter-clockwise: the top row's right end goes to the top left.
    expect(rows(out)).toEqual([
      [3, 7, 11, 15],
      [2, 6, 10, 14],
      [1, 5, 9, 13],
      [0, 4, 8, 12],
    ]);
    expect(Array.from(out.x.dataSync()).map((v) => Math.round(v * 16))).toEqual(rows(out).flat());
  });

  it('randomRotate leaves the ignore index in the corners a turn uncovers', () => {
    const out = randomRotate({ degrees: [45, 45], fill: 0 }).transform!(denseBatch(), contextFor(model, 0));
    const map = rows(out);
    expect([map[0][0], map[0][3], map[3][0], map[3][3]]).toEqual([IGNORE, IGNORE, IGNORE, IGNORE]);
    expect(map.flat().every((v) => v === IGNORE || LABELS.includes(v))).toBe(true);
  });

  it('randomScale repeats label pixels when enlarging and pads with the ignore index when shrinking', () => {
    const twice = randomScale({ scale: [2, 2] }).transform!(denseBatch(), contextFor(model, 3));
    const draw = new Rng(3);
    draw.uniform(2, 2);
    const [left, top] = [-draw.int(5), -draw.int(5)];
    expect(rows(twice)).toEqual(
      [0, 1, 2, 3].map((r) =>
        [0, 1, 2, 3].map((c) => 4 * Math.floor((r - top) / 2) + Math.floor((c - left) / 2)),
      ),
    );
    const half = rows(randomScale({ scale: [0.5, 0.5] }).transform!(denseBatch(), contextFor(model, 3)));
    // A 2×2 image of the source's odd rows and columns (nearest), the rest ignored.
    expect(
      half
        .flat()
        .filter((v) => v !== IGNORE)
        .sort((a, b) => a - b),
    ).toEqual([5, 7, 13, 15]);
  });

  it('cutout leaves the label map as it is (it moves no pixel)', () => {
    const batch = denseBatch();
    const out = cutout({ size: 2 }).transform!(batch, contextFor(model, 0));
    expect(rows(out)).toEqual(rows(batch));
  });

  it('refuses augmenters that cannot move label maps, naming them, also inside a combinator', () => {
    const ctx = contextFor(model, 0);
    expect(() => compose([horizontalFlip(), mixup()]).transform!(denseBatch(), ctx)).toThrow(
      /^mixup cannot augment batches with label maps/,
    );
    expect(() => compose([oneOf([horizontalFlip(), randAugment()])]).transform!(denseBatch(), ctx)).toThrow(
      /^randAugment cannot augment batches with label maps/,
    );
    expect(
      rows(compose([horizontalFlip({ p: 1 }), pad({ padding: 0 })]).transform!(denseBatch(), ctx))[0],
    ).toEqual([3, 2, 1, 0]);
  });
});
