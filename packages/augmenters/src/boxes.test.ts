/** Object boxes through each geometric augmenter, against boxes computed by hand. */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Batch,
  Rng,
  TinyClassifier,
  assertNoTensorLeak,
  batchTensors,
  compose,
  initBackend,
} from '@perturb/core';
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
import { mixClean } from './combinators/mix-clean';
import { contextFor } from './testing/fixtures';

type Box = [number, number, number, number];

/** One blank `size`×`size` grey image per row of `boxes`, each row an image's boxes (class = index). */
function boxBatch(boxes: Box[][], size = 16): Batch {
  const n = boxes.length;
  const rows = Math.max(...boxes.map((b) => b.length));
  const padded = boxes.map((b) => [...b, ...new Array<Box>(rows - b.length).fill([0, 0, 0, 0])]);
  return {
    x: tf.fill([n, size, size, 1], 0.5) as tf.Tensor4D,
    y: tf.cast(tf.oneHot(tf.zeros([n], 'int32'), 2), 'float32') as tf.Tensor2D,
    boxes: {
      boxes: tf.tensor3d(padded.flat(2), [n, rows, 4]),
      classes: tf.tensor2d(
        boxes.flatMap((b) => Array.from({ length: rows }, (_, j) => (j < b.length ? j : -1))),
        [n, rows],
        'int32',
      ),
    },
  };
}

/** The boxes of `batch` per image, and their classes. */
function boxesOf(batch: Batch): { boxes: number[][][]; classes: number[][] } {
  return {
    boxes: batch.boxes!.boxes.arraySync(),
    classes: batch.boxes!.classes.arraySync(),
  };
}

const expectBoxes = (actual: number[][], expected: number[][]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((box, i) => box.forEach((v, k) => expect(v).toBeCloseTo(expected[i][k], 4)));
};

describe('box-aware geometric augmenters', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 1, width: 4, seed: 1 });
  });

  it('horizontalFlip mirrors boxes: (3, 4, 11, 9) in a 16-wide image becomes (5, 4, 13, 9)', () => {
    const out = horizontalFlip({ p: 1 }).transform!(boxBatch([[[3, 4, 11, 9]], []]), contextFor(model, 0));
    expect(boxesOf(out)).toEqual({ boxes: [[[5, 4, 13, 9]], [[0, 0, 0, 0]]], classes: [[0], [-1]] });
    expect(out.boxes!.classes.dtype).toBe('int32');
  });

  it('horizontalFlip mirrors only the samples it flips', () => {
    const batch = boxBatch(Array.from({ length: 8 }, () => [[3, 4, 11, 9] as Box]));
    const out = horizontalFlip({ p: 0.5 }).transform!(batch, contextFor(model, 2));
    const flags = new Rng(2);
    const flipped = Array.from({ length: 8 }, () => flags.bernoulli(0.5));
    expect(flipped.some((f) => f) && !flipped.every((f) => f)).toBe(true);
    expect(boxesOf(out).boxes).toEqual(flipped.map((f) => [f ? [5, 4, 13, 9] : [3, 4, 11, 9]]));
  });

  it('pad moves boxes by the padding', () => {
    const out = pad({ padding: 2 }).transform!(boxBatch([[[3, 4, 11, 9]]]), contextFor(model, 0));
    expect(boxesOf(out).boxes).toEqual([[[5, 6, 13, 11]]]);
  });

  it('randomCrop moves boxes with the image and drops one that leaves it', () => {
    const seen = new Set<boolean>();
    for (let seed = 0; seed < 12; seed++) {
      // A 1-pixel-wide column at the left edge, and a box inside.
      const batch = boxBatch([
        [
          [0, 0, 1, 4],
          [6, 6, 10, 10],
        ],
      ]);
      const out = randomCrop({ padding: 2 }).transform!(batch, contextFor(model, seed));
      const draw = new Rng(seed);
      const [top, left] = [draw.int(5), draw.int(5)];
      const [dx, dy] = [2 - left, 2 - top];
      const inside = [6 + dx, 6 + dy, 10 + dx, 10 + dy];
      // The column keeps a pixel only when the image moved right or stayed (dx ≥ 0).
      const column = [dx, Math.max(0, dy), 1 + dx, Math.min(16, 4 + dy)];
      const dropped = dx < 0;
      seen.add(dropped);
      expect(boxesOf(out)).toEqual(
        dropped
          ? { boxes: [[inside, [0, 0, 0, 0]]], classes: [[1, -1]] }
          : { boxes: [[column, inside]], classes: [[0, 1]] },
      );
    }
    expect(seen).toEqual(new Set([true, false]));
  });

  it('randomCrop keeps a clipped box while it is at least minBoxSize pixels wide', () => {
    // Shifted left by 2 (left offset 4, top 2: seed found by drawing), a 3-wide box keeps 1 pixel.
    const seed = Array.from({ length: 100 }, (_, s) => s).find((s) => {
      const draw = new Rng(s);
      return draw.int(5) === 2 && draw.int(5) === 4;
    })!;
    const batch = () => boxBatch([[[0, 0, 3, 4]]]);
    expect(boxesOf(randomCrop({ padding: 2 }).transform!(batch(), contextFor(model, seed))).boxes).toEqual([
      [[0, 0, 1, 4]],
    ]);
    const strict = randomCrop({ padding: 2, minBoxSize: 2 }).transform!(batch(), contextFor(model, seed));
    expect(boxesOf(strict)).toEqual({ boxes: [[[0, 0, 0, 0]]], classes: [[-1]] });
  });

  it('centerCrop moves boxes by the window offset, clips them and drops those outside', () => {
    const batch = () =>
      boxBatch([
        [
          [0, 0, 2, 16],
          [3, 4, 11, 9],
          [12, 0, 16, 4],
        ],
      ]);
    // 16 → 10: the window starts at 3 on both axes.
    const out = centerCrop({ size: 10 }).transform!(batch(), contextFor(model, 0));
    expect(out.x.shape).toEqual([1, 10, 10, 1]);
    expect(boxesOf(out)).toEqual({
      boxes: [
        [
          [0, 1, 8, 6],
          [9, 0, 10, 1],
          [0, 0, 0, 0],
        ],
      ],
      classes: [[1, 2, -1]],
    });
    // 16 → 9 wide: (16 − 9) / 2 = 3.5 rounds to the even 4, as torchvision's Python round does.
    const narrow = centerCrop({ size: [10, 9] }).transform!(batch(), contextFor(model, 0));
    expect(boxesOf(narrow).boxes[0][0]).toEqual([0, 1, 7, 6]);
    expect(() => centerCrop({ size: 20 }).transform!(batch(), contextFor(model, 0))).toThrow(
      /^centerCrop size 20×20 is larger than the images \(16×16\)\. choose a size within the images/,
    );
  });

  it('resize scales boxes by the size ratios', () => {
    const out = resize({ size: [8, 32] }).transform!(boxBatch([[[3, 4, 11, 9]]]), contextFor(model, 0));
    expect(out.x.shape).toEqual([1, 8, 32, 1]);
    expect(boxesOf(out).boxes).toEqual([[[6, 2, 22, 4.5]]]);
  });

  it('randomScale scales boxes about the corner and moves them with the image', () => {
    const twice = randomScale({ scale: [2, 2] }).transform!(
      boxBatch([[[2, 2, 4, 6]]], 8),
      contextFor(model, 3),
    );
    const draw = new Rng(3);
    draw.uniform(2, 2);
    const [left, top] = [-draw.int(9), -draw.int(9)];
    const clip = (v: number) => Math.min(8, Math.max(0, v));
    const expected = [4 + left, 4 + top, 8 + left, 12 + top].map(clip);
    if (expected[2] - expected[0] >= 1 && expected[3] - expected[1] >= 1) {
      expect(boxesOf(twice).boxes).toEqual([[expected]]);
    } else {
      expect(boxesOf(twice).classes).toEqual([[-1]]);
    }
    const half = randomScale({ scale: [0.5, 0.5] }).transform!(
      boxBatch([[[4, 4, 8, 8]]], 8),
      contextFor(model, 3),
    );
    const drawHalf = new Rng(3);
    drawHalf.uniform(0.5, 0.5);
    const [l, t] = [drawHalf.int(5), drawHalf.int(5)];
    expect(boxesOf(half).boxes).toEqual([[[l + 2, t + 2, l + 4, t + 4]]]);
  });

  it('randomRotate turns boxes with the image: a quarter turn sends the top-left corner to the bottom left', () => {
    const out = randomRotate({ degrees: [90, 90] }).transform!(
      boxBatch([[[0, 0, 4, 2]]], 8),
      contextFor(model, 0),
    );
    expectBoxes(boxesOf(out).boxes[0], [[0, 4, 2, 8]]);
  });

  it('randomRotate encloses the rotated corners and clips the box to the image', () => {
    const out = randomRotate({ degrees: [45, 45] }).transform!(
      boxBatch(
        [
          [
            [3, 3, 5, 5],
            [0, 0, 8, 8],
          ],
        ],
        8,
      ),
      contextFor(model, 0),
    );
    const r = Math.SQRT2;
    expectBoxes(boxesOf(out).boxes[0], [
      [4 - r, 4 - r, 4 + r, 4 + r],
      [0, 0, 8, 8],
    ]);
  });

  it('cutout leaves boxes as they are', () => {
    const batch = boxBatch([[[3, 4, 11, 9]]]);
    const out = cutout({ size: 4 }).transform!(batch, contextFor(model, 0));
    expect(out.boxes).toBe(batch.boxes);
  });

  it('keeps each box tight around its garment’s label pixels through crops, flip, scale, rotate and resize', () => {
    const augmenters = compose([
      // Scales and turns whose nearest-sampled label maps are exact.
      randomScale({ scale: [2, 2] }),
      randomCrop({ padding: 6 }),
      horizontalFlip(),
      randomRotate({ degrees: [90, 90], p: 0.5 }),
      centerCrop({ size: 12 }),
      resize({ size: 24 }),
    ]);
    for (let seed = 0; seed < 8; seed++) {
      const out = augmenters.transform!(garmentScenes(), contextFor(model, seed));
      const labels = out.labelMap!.classes.arraySync();
      const { boxes, classes } = boxesOf(out);
      labels.forEach((map, i) => {
        for (const object of [0, 1]) {
          const row = classes[i].indexOf(object);
          const tight = tightBox(map, object + 1);
          // A garment with no pixel left has no box; one with pixels has its tight box.
          expect(row === -1).toBe(tight === null);
          if (tight) expectBoxes([boxes[i][row]], [tight]);
        }
      });
    }
  });

  it('carries boxes through the combinators that split and select samples', () => {
    const batch = boxBatch([[[3, 4, 11, 9]], [[0, 0, 2, 2]], [[8, 8, 16, 16]], []]);
    const groups = oneOf([horizontalFlip({ p: 1 }), pad({ padding: 0 })]).transform!(
      batch,
      contextFor(model, 1),
    );
    const mixed = mixClean(horizontalFlip({ p: 1 }), 0.5).transform!(batch, contextFor(model, 1));
    for (const out of [groups, mixed]) {
      const { boxes, classes } = boxesOf(out);
      expect(classes).toEqual([[0], [0], [0], [-1]]);
      // Each sample is either mirrored or left alone.
      expect([
        [3, 4, 11, 9],
        [5, 4, 13, 9],
      ]).toContainEqual(boxes[0][0]);
      expect([
        [8, 8, 16, 16],
        [0, 8, 8, 16],
      ]).toContainEqual(boxes[2][0]);
    }
  });

  it('refuses augmenters that cannot move boxes in one line naming them, also inside a combinator', () => {
    const ctx = contextFor(model, 0);
    const batch = boxBatch([[[3, 4, 11, 9]]]);
    expect(() => compose([horizontalFlip(), mixup()]).transform!(batch, ctx)).toThrow(
      /^mixup cannot augment batches with object boxes: it would change the images without moving their object boxes along\. remove mixup/,
    );
    expect(() => compose([oneOf([horizontalFlip(), randAugment()])]).transform!(batch, ctx)).toThrow(
      /^randAugment cannot augment batches with object boxes/,
    );
  });

  it('leaks no tensors', async () => {
    const batch = garmentScenes();
    const augmenters = compose([
      randomScale(),
      randomCrop(),
      horizontalFlip(),
      randomRotate(),
      pad({ padding: 1 }),
      cutout(),
      centerCrop({ size: 14 }),
      resize({ size: 20 }),
    ]);
    const ctx = contextFor(model, 4);
    await assertNoTensorLeak(() => {
      const out = tf.tidy(() => batchTensors(augmenters.transform!(batch, ctx)));
      tf.dispose(out.filter((t) => !batchTensors(batch).includes(t)));
    });
  });
});

/**
 * Two 16×16 scenes with two rectangular garments each: label ids 1 and 2 over background 0,
 * and their boxes (object classes 0 and 1), tight around the label pixels.
 */
function garmentScenes(): Batch {
  const scenes: Box[][] = [
    [
      [1, 2, 6, 9],
      [9, 5, 15, 12],
    ],
    [
      [0, 0, 4, 16],
      [10, 11, 16, 16],
    ],
  ];
  const maps = scenes.map((boxes) =>
    Array.from({ length: 16 }, (_, y) =>
      Array.from({ length: 16 }, (_, x) => {
        const object = boxes.findIndex(([x1, y1, x2, y2]) => x >= x1 && x < x2 && y >= y1 && y < y2);
        return object + 1;
      }),
    ),
  );
  return {
    ...boxBatch(scenes),
    labelMap: { classes: tf.tensor3d(maps, [2, 16, 16], 'int32'), ignoreIndex: 255 },
  };
}

/** The tight box (x2/y2 exclusive) of the pixels of class `id` in `map`, or null if none. */
function tightBox(map: number[][], id: number): number[] | null {
  let box: number[] | null = null;
  map.forEach((row, y) =>
    row.forEach((v, x) => {
      if (v !== id) return;
      box = box
        ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)]
        : [x, y, x + 1, y + 1];
    }),
  );
  return box;
}
