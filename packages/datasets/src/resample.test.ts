import { describe, expect, it } from 'vitest';
import { resizeAndCenterCrop, resizeImage, resizeLabels } from './resample';

/** A one-channel `height × width` image whose pixel at column x is `column(x)`. */
const columns = (height: number, width: number, column: (x: number) => number) =>
  Uint8Array.from({ length: height * width }, (_, i) => column(i % width));

const rows = (data: Uint8Array, width: number) =>
  Array.from({ length: data.length / width }, (_, r) =>
    Array.from(data.subarray(r * width, (r + 1) * width)),
  );

describe('resampling', () => {
  it('resizes bilinearly with half-pixel centres, edges clamped', () => {
    const out = resizeImage(new Uint8Array([0, 100]), 1, 2, 1, 4);
    expect(rows(out, 4)).toEqual(new Array(4).fill([0, 25, 75, 100]));
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);
    expect(resizeImage(rgb, 2, 3, 3, 3).length).toBe(27);
  });

  it('shrinks a photo to a square through the antialiasing filter, not two taps per output', () => {
    // A one-pixel checkerboard shrunk 4× is mid-grey everywhere; plain bilinear would read
    // whichever two squares sit at each output's centre.
    const board = Uint8Array.from({ length: 16 * 16 }, (_, i) =>
      ((i % 16) + Math.floor(i / 16)) % 2 ? 255 : 0,
    );
    const out = resizeImage(board, 16, 16, 1, 4);
    for (const v of out) expect(Math.abs(v - 127.5)).toBeLessThanOrEqual(16);
    // Each axis on its own scale. A ramp 10·x shrunk 4×: inside, the filter spans 8 columns
    // and reads the ramp at the output's centre (55, 95); at the borders its cut-off side is
    // renormalised away, as PIL does, which pulls the ends inwards (19 and 131, not 15 and 135).
    const ramp = columns(8, 16, (x) => 10 * x);
    expect(rows(resizeImage(ramp, 8, 16, 1, 4), 4)[0]).toEqual([19, 55, 95, 131]);
  });

  it('resizes label maps by nearest sampling', () => {
    expect(Array.from(resizeLabels(new Uint8Array([1, 2, 3, 4]), 2, 2, 4))).toEqual([
      1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4,
    ]);
    // To a rectangle, and back: a square map stretched to 2 × 4 and returned to 2 × 2 is itself.
    const wide = resizeLabels(new Uint8Array([1, 2, 3, 4]), 2, 2, 2, 4);
    expect(Array.from(wide)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(Array.from(resizeLabels(wide, 2, 4, 2))).toEqual([1, 2, 3, 4]);
  });

  it('crops the centre of a non-square image whose shorter side is already the size', () => {
    const wide = columns(4, 8, (x) => 10 * x);
    expect(rows(resizeAndCenterCrop(wide, 4, 8, 1, 4), 4)).toEqual(new Array(4).fill([20, 30, 40, 50]));
    // (9 − 4) / 2 = 2.5 rounds to the even 2, as Python's round in torchvision's CenterCrop.
    const odd = columns(4, 9, (x) => 10 * x);
    expect(rows(resizeAndCenterCrop(odd, 4, 9, 1, 4), 4)).toEqual(new Array(4).fill([20, 30, 40, 50]));
    const tall = Uint8Array.from({ length: 9 * 4 }, (_, i) => 10 * Math.floor(i / 4));
    expect(rows(resizeAndCenterCrop(tall, 9, 4, 1, 4), 4).map((r) => r[0])).toEqual([20, 30, 40, 50]);
  });

  it('shrinks with an antialiasing triangle filter as wide as the shrink (PIL, torchvision)', () => {
    // 8 × 16 → shorter side 4 → 4 × 8, centre columns 2..5. A bright column 8 spreads over the
    // outputs whose filter covers it, weights 1/8 and 3/8 (plain bilinear would put half in one).
    const line = columns(8, 16, (x) => (x === 8 ? 255 : 0));
    expect(rows(resizeAndCenterCrop(line, 8, 16, 1, 4), 4)).toEqual(new Array(4).fill([0, 32, 96, 0]));
    // A linear ramp stays a ramp: 10·x shrunk 2× reads 10·(2j + 0.5) at output column j.
    const ramp = columns(8, 16, (x) => 10 * x);
    expect(rows(resizeAndCenterCrop(ramp, 8, 16, 1, 4), 4)[0]).toEqual([45, 65, 85, 105]);
  });

  it('enlarges a small image as plain bilinear does', () => {
    const small = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => (i * 37) % 256);
    expect(resizeAndCenterCrop(small, 2, 2, 3, 5)).toEqual(resizeImage(small, 2, 2, 3, 5));
  });
});
