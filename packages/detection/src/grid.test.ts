import { describe, expect, it } from 'vitest';
import { classColor, detectionGrid, drawBox, imageWithBoxes } from './grid';

const pixel = (image: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

describe('detection grids', () => {
  it('outlines a box on its pixels: x2/y2 are exclusive edges', () => {
    const image = { width: 12, height: 10, channels: 3 as const, data: new Uint8Array(12 * 10 * 3) };
    // Columns 3..10 and rows 4..8.
    drawBox(image, [3, 4, 11, 9], [255, 0, 0]);
    expect(pixel(image, 3, 4)).toEqual([255, 0, 0]);
    expect(pixel(image, 10, 8)).toEqual([255, 0, 0]);
    expect(pixel(image, 10, 6)).toEqual([255, 0, 0]);
    expect(pixel(image, 11, 8)).toEqual([0, 0, 0]);
    expect(pixel(image, 5, 6)).toEqual([0, 0, 0]);
  });

  it('draws predictions beside the ground truth, class-coloured, at the zoomed size', () => {
    const gray = { width: 8, height: 8, data: new Uint8Array(64).fill(100) };
    const grid = detectionGrid(
      [
        {
          image: gray,
          predicted: { boxes: [1, 1, 5, 5, 0, 0, 8, 8], classes: [2, -1] },
          truth: { boxes: [2, 2, 6, 7], classes: [4] },
        },
      ],
      { zoom: 2, gap: 1 },
    );
    expect([grid.width, grid.height]).toEqual([1 + 16 + 1 + 16 + 1, 1 + 16 + 1]);
    // Prediction panel at (1, 1): the box's corner (1, 1) → zoomed (2, 2); its last column 4 → 9.
    expect(pixel(grid, 1 + 2, 1 + 2)).toEqual([...classColor(2)]);
    expect(pixel(grid, 1 + 9, 1 + 5)).toEqual([...classColor(2)]);
    // The padding row (class −1, the whole image) is not drawn.
    expect(pixel(grid, 1, 1)).toEqual([100, 100, 100]);
    // Ground-truth panel starts at x = 18.
    expect(pixel(grid, 18 + 4, 1 + 13)).toEqual([...classColor(4)]);
    expect(classColor(2)).not.toEqual(classColor(4));
  });

  it('draws boxes on a copy of one image at its own size, leaving the image as it was', () => {
    const photo = { width: 6, height: 4, channels: 3 as const, data: new Uint8Array(6 * 4 * 3).fill(50) };
    const drawn = imageWithBoxes(photo, { boxes: [0, 0, 3, 2, 0, 0, 6, 4], classes: [1, -1] });
    expect([drawn.width, drawn.height]).toEqual([6, 4]);
    expect(pixel(drawn, 2, 1)).toEqual([...classColor(1)]);
    expect(pixel(drawn, 5, 3)).toEqual([50, 50, 50]);
    expect(photo.data.every((v) => v === 50)).toBe(true);
  });
});
