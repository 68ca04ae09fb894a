import { Rng } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import * as color from './color-ops';
import * as geometry from './geometry-ops';
import type { Image } from './image';
import { OPS, SPACES, applyOp, opsOf } from './spaces';

/** An image of `height` rows from nested arrays: rows of pixels of channel values. */
function image(rows: number[][][]): Image {
  return {
    data: Float32Array.from(rows.flat(2)),
    height: rows.length,
    width: rows[0].length,
    channels: rows[0][0].length,
  };
}

/** A one-channel image from rows of values. */
const gray = (rows: number[][]) => image(rows.map((row) => row.map((v) => [v])));

/** The values of an image, rounded to 6 decimals so hand-computed decimals compare exactly. */
const pixels = (img: Image) => Array.from(img.data, (v) => Math.round(v * 1e6) / 1e6);

/** The 3×3 image 0.1 … 0.9, row by row. */
const nine = gray([
  [0.1, 0.2, 0.3],
  [0.4, 0.5, 0.6],
  [0.7, 0.8, 0.9],
]);

const nearest = (fill: number): geometry.Sampling => ({ interpolation: 'nearest', fill });

describe('the operations at magnitude 0', () => {
  const rng = new Rng(1);
  const rgb = {
    data: Float32Array.from({ length: 5 * 6 * 3 }, () => rng.next()),
    height: 5,
    width: 6,
    channels: 3,
  };
  const mono = {
    data: Float32Array.from({ length: 6 * 5 }, () => rng.next()),
    height: 6,
    width: 5,
    channels: 1,
  };
  const withMagnitude = [
    'identity',
    'shearX',
    'shearY',
    'translateX',
    'translateY',
    'rotate',
    'brightness',
    'color',
    'contrast',
    'sharpness',
    'posterize',
    'solarize',
  ];

  for (const [space, ops] of Object.entries(SPACES).map(([name, space]) => [name, opsOf(space)] as const)) {
    it(`leave every image as it is in ${space}'s space, for either sign`, () => {
      const tested = ops.filter((op) => withMagnitude.includes(op.name));
      expect(tested.map((op) => op.name).sort()).toEqual([...withMagnitude].sort());
      for (const op of tested) {
        for (const img of [rgb, mono]) {
          for (const interpolation of ['nearest', 'bilinear'] as const) {
            const out = applyOp(op, 0, 10, img, { interpolation, fill: 0.5 }, new Rng(2));
            expect(Array.from(out.data), `${op.name} on ${img.channels} channel(s)`).toEqual(
              Array.from(img.data),
            );
          }
        }
      }
    });
  }
});

describe('the photometric operations on known pixels', () => {
  it('invert, solarize and posterize map values as PIL does', () => {
    expect(pixels(color.invert(gray([[0, 0.25, 1]])))).toEqual([1, 0.75, 0]);
    expect(pixels(color.solarize(gray([[0.25, 0.75, 0.875]]), 0.75))).toEqual([0.25, 0.25, 0.125]);
    // 2 bits keep the mask 0b11000000 of each 8-bit level: 200 → 192, 100 → 64, 255 → 192.
    expect(pixels(color.posterize(gray([[200 / 255, 100 / 255, 1]]), 2))).toEqual(
      pixels(gray([[192 / 255, 64 / 255, 192 / 255]])),
    );
  });

  it('autoContrast stretches each channel to [0, 1] and leaves a constant channel alone', () => {
    const img = image([
      [
        [0.2, 0.5],
        [0.4, 0.5],
        [0.6, 0.5],
      ],
    ]);
    expect(pixels(color.autoContrast(img))).toEqual([0, 0.5, 0.5, 0.5, 1, 0.5]);
  });

  it("equalize follows PIL's lookup table on 8-bit levels", () => {
    // 400 pixels at level 0, 110 at 50, 100 at 200: step = ⌊510 / 255⌋ = 2, so level 0 → ⌊1/2⌋ = 0,
    // 50 → ⌊(400 + 1)/2⌋ = 200 and 200 → ⌊(510 + 1)/2⌋ = 255.
    const levels = [
      ...new Array<number>(400).fill(0),
      ...new Array<number>(110).fill(50),
      ...new Array<number>(100).fill(200),
    ];
    const img = { data: Float32Array.from(levels, (v) => v / 255), height: 10, width: 61, channels: 1 };
    const out = Array.from(color.equalize(img).data);
    expect([out[0], out[400], out[510]]).toEqual([0, Math.fround(200 / 255), 1]);
    // A single level has nothing to spread (step 0).
    expect(color.equalize(gray([[0.5, 0.5]])).data).toEqual(Float32Array.from([0.5, 0.5]));
  });

  it('brightness, color and contrast blend with black, the luma and the mean luma, clamped', () => {
    expect(pixels(color.brightness(gray([[0.2, 0.8]]), 0.5))).toEqual([0.3, 1]);
    expect(pixels(color.brightness(gray([[0.2, 0.8]]), -0.5))).toEqual([0.1, 0.4]);
    // Luma of (0.5, 0.2, 0.1) = 0.2989·0.5 + 0.587·0.2 + 0.114·0.1 = 0.27825; factor ½ averages.
    expect(pixels(color.color(image([[[0.5, 0.2, 0.1]]]), -0.5))).toEqual([0.389125, 0.239125, 0.189125]);
    expect(pixels(color.color(gray([[0.2, 0.7]]), 0.9))).toEqual([0.2, 0.7]);
    // Mean 0.5, factor 2: 2x − 0.5.
    expect(pixels(color.contrast(gray([[0.2, 0.4, 0.6, 0.8]]), 1))).toEqual([0, 0.3, 0.7, 1]);
  });

  it('sharpness blends with the 3×3 smoothing of interior pixels, borders kept', () => {
    const corner = gray([
      [1, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    // Factor 0 is the smoothed image: the centre sees the corner with weight 1/13.
    expect(pixels(color.sharpness(corner, -1))).toEqual(
      pixels(
        gray([
          [1, 0, 0],
          [0, 1 / 13, 0],
          [0, 0, 0],
        ]),
      ),
    );
    const dot = gray([
      [0, 0, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    // Factor ½: ½·1 + ½·(4 + 1)/13 at the centre.
    expect(pixels(color.sharpness(dot, -0.5))[4]).toBeCloseTo(0.5 + 2.5 / 13, 6);
  });
});

describe('the geometric operations on known pixels', () => {
  it('rotate turns counter-clockwise about the centre', () => {
    expect(pixels(geometry.rotate(nine, 90, nearest(0)))).toEqual([
      0.3, 0.6, 0.9, 0.2, 0.5, 0.8, 0.1, 0.4, 0.7,
    ]);
  });

  it('shearX and shearY read (x + s·y, y) and (x, y + s·x), with the fill outside', () => {
    expect(pixels(geometry.shearX(nine, 1, nearest(0)))).toEqual([0.1, 0.2, 0.3, 0.5, 0.6, 0, 0.9, 0, 0]);
    expect(pixels(geometry.shearY(nine, 1, nearest(0)))).toEqual([0.1, 0.5, 0.9, 0.4, 0.8, 0, 0.7, 0, 0]);
    // Half a pixel reads the mean of two neighbours; past the edge the fill enters the mean.
    expect(pixels(geometry.shearX(nine, 0.5, { interpolation: 'bilinear', fill: 0 }))).toEqual([
      0.1, 0.2, 0.3, 0.45, 0.55, 0.3, 0.8, 0.9, 0,
    ]);
  });

  it('translate moves whole pixels (truncated) and moves every channel together', () => {
    expect(pixels(geometry.translateX(nine, 1.7, nearest(0.5)))).toEqual([
      0.5, 0.1, 0.2, 0.5, 0.4, 0.5, 0.5, 0.7, 0.8,
    ]);
    expect(pixels(geometry.translateY(nine, -1, nearest(0)))).toEqual([
      0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0,
    ]);
    const two = image([
      [
        [0.1, 0.2],
        [0.3, 0.4],
      ],
    ]);
    expect(pixels(geometry.translateX(two, 1, nearest(0)))).toEqual([0, 0, 0.1, 0.2]);
  });
});

describe('the augmentation spaces', () => {
  const cifar = { data: new Float32Array(32 * 32 * 3), height: 32, width: 32, channels: 3 };
  const value = (
    op: { magnitude?: (bin: number, bins: number, image: Image) => number },
    bin: number,
    bins: number,
  ) => op.magnitude!(bin, bins, cifar);

  it("hold torchvision's published ranges", () => {
    const { randAugment: ra, trivialAugmentWide: ta, autoAugment: aa } = SPACES;
    expect(value(ra.rotate, 9, 31)).toBeCloseTo(9, 10);
    expect(value(ra.shearX, 30, 31)).toBeCloseTo(0.3, 10);
    expect(value(ra.translateX, 30, 31)).toBeCloseTo((150 / 331) * 32, 10);
    expect(value(ra.brightness, 30, 31)).toBeCloseTo(0.9, 10);
    expect(value(ta.rotate, 30, 31)).toBeCloseTo(135, 10);
    expect(value(ta.translateY, 30, 31)).toBeCloseTo(32, 10);
    expect(value(ta.sharpness, 30, 31)).toBeCloseTo(0.99, 10);
    expect(value(ta.posterize, 30, 31)).toBe(2);
    expect(Array.from({ length: 10 }, (_, bin) => value(aa.posterize, bin, 10))).toEqual([
      8, 8, 7, 7, 6, 6, 5, 5, 4, 4,
    ]);
    expect([value(aa.solarize, 0, 10), value(aa.solarize, 9, 10)]).toEqual([256 / 255, 0]);
    expect(Object.keys(aa)).toContain('invert');
    expect(Object.keys(ra)).toHaveLength(14);
    expect(Object.keys(ta)).toEqual(Object.keys(ra));
    expect(Object.keys(OPS)).toEqual([...Object.keys(ra), 'invert']);
  });
});
