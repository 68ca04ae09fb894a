import { describe, expect, it } from 'vitest';
import { decodePngImage, encodeRgbPng, vocPalette } from '@perturb/datasets';
import { colorizeLabels, errorMap, segmentationGrid } from './grids';

const target = { width: 2, height: 2, data: new Uint8Array([0, 1, 1, 255]) };
const predicted = { width: 2, height: 2, data: new Uint8Array([0, 1, 0, 2]) };

function pixel(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return Array.from(image.data.subarray(i, i + 3));
}

describe('segmentation grids', () => {
  it('paints classes with the VOC colours and errors in red, ignored pixels grey', () => {
    const colours = colorizeLabels(target);
    expect(pixel(colours, 1, 0)).toEqual(vocPalette()[1]);
    const errors = errorMap(predicted, target);
    expect([pixel(errors, 0, 0), pixel(errors, 1, 0), pixel(errors, 0, 1), pixel(errors, 1, 1)]).toEqual([
      [255, 255, 255],
      [255, 255, 255],
      [230, 40, 40],
      [128, 128, 128],
    ]);
  });

  it('lays out image | prediction | truth | error per row, zoomed, and saves as a PNG', () => {
    const image = { width: 2, height: 2, data: new Uint8Array([0, 50, 100, 150]) };
    const grid = segmentationGrid(
      [
        { image, predicted, target },
        { image, predicted: target, target },
      ],
      { zoom: 3, gap: 1 },
    );
    expect([grid.width, grid.height]).toEqual([1 + 4 * 7, 1 + 2 * 7]);
    expect(pixel(grid, 1 + 3, 1)).toEqual([50, 50, 50]); // image, zoomed pixel (1, 0)
    expect(pixel(grid, 1 + 3 * 7 + 0, 1 + 3)).toEqual([230, 40, 40]); // error panel, pixel (0, 1)
    expect(pixel(grid, 1 + 3 * 7 + 0, 8 + 3)).toEqual([255, 255, 255]); // second row is all right
    const png = decodePngImage(encodeRgbPng(grid));
    expect(Array.from(png.data)).toEqual(Array.from(grid.data));
    expect(() => segmentationGrid([])).toThrow(/no rows/);
  });
});
