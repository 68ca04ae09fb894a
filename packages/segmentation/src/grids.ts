/**
 * Picture grids for reports: one row per example with the image, the prediction, the ground
 * truth and an error map side by side, as RGB bytes (save them with `encodeRgbPng`).
 */
import { PerturbError } from '@perturb/core';
import { type LabelImage, type RgbImage, vocPalette } from '@perturb/datasets';

/** Options of {@link colorizeLabels}, {@link errorMap} and {@link segmentationGrid}. */
export interface GridOptions {
  /** RGB colour of each class id (default: the Pascal VOC colour map; 0 is black). */
  palette?: readonly (readonly number[])[];
  /** Target label of unlabelled pixels, drawn grey in the error map. Default 255. */
  ignoreIndex?: number;
  /** Pixels of background between panels. Default 2. */
  gap?: number;
  /** Integer upscaling of every panel (nearest neighbour). Default 1. */
  zoom?: number;
}

/** One row of a grid: the input image (RGB, or `width × height` grayscale bytes) and two label maps. */
export interface GridRow {
  image: RgbImage | LabelImage;
  predicted: LabelImage;
  target: LabelImage;
}

const IGNORED: readonly number[] = [128, 128, 128];
const WRONG: readonly number[] = [230, 40, 40];
const RIGHT: readonly number[] = [255, 255, 255];

/** A label map in colour: each class id painted with its palette colour. */
export function colorizeLabels(labels: LabelImage, options: GridOptions = {}): RgbImage {
  const palette = options.palette ?? vocPalette();
  const data = new Uint8Array(labels.width * labels.height * 3);
  for (let p = 0; p < labels.data.length; p++) {
    const colour = palette[labels.data[p]] ?? IGNORED;
    data[p * 3] = colour[0];
    data[p * 3 + 1] = colour[1];
    data[p * 3 + 2] = colour[2];
  }
  return { width: labels.width, height: labels.height, channels: 3, data };
}

function sameSize(
  a: { width: number; height: number },
  b: { width: number; height: number },
  what: string,
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new PerturbError(
      `${what}: ${a.width}×${a.height} against ${b.width}×${b.height}`,
      'pass the prediction at the target’s resolution',
    );
  }
}

/** White where the prediction is right, red where it is wrong, grey where the target is ignored. */
export function errorMap(predicted: LabelImage, target: LabelImage, options: GridOptions = {}): RgbImage {
  sameSize(predicted, target, 'the prediction and target differ in size');
  const ignoreIndex = options.ignoreIndex ?? 255;
  const data = new Uint8Array(target.width * target.height * 3);
  for (let p = 0; p < target.data.length; p++) {
    const colour =
      target.data[p] === ignoreIndex ? IGNORED : predicted.data[p] === target.data[p] ? RIGHT : WRONG;
    data.set(colour, p * 3);
  }
  return { width: target.width, height: target.height, channels: 3, data };
}

/** `image` as RGB bytes (a grayscale image's value in all three channels). */
export function asRgb(image: RgbImage | LabelImage): RgbImage {
  if ('channels' in image && image.channels === 3) return image;
  const data = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) data.fill(image.data[p], p * 3, p * 3 + 3);
  return { width: image.width, height: image.height, channels: 3, data };
}

/**
 * A grid with one row per example: image | prediction | ground truth | error map. Every panel
 * of a row must have the same size; rows may differ (the grid is as wide as the widest).
 */
export function segmentationGrid(rows: readonly GridRow[], options: GridOptions = {}): RgbImage {
  if (rows.length === 0) throw new PerturbError('the grid has no rows', 'pass at least one example');
  const panels = rows.map((row, i) => {
    sameSize(row.image, row.target, `row ${i}: the image and target differ in size`);
    return [
      asRgb(row.image),
      colorizeLabels(row.predicted, options),
      colorizeLabels(row.target, options),
      errorMap(row.predicted, row.target, options),
    ];
  });
  return tilePanels(panels, options);
}

/**
 * RGB panels laid out row by row on a dark background, `gap` pixels apart and each enlarged
 * `zoom` times (nearest neighbour); a row is as tall as its first panel.
 */
export function tilePanels(
  panels: readonly (readonly RgbImage[])[],
  options: Pick<GridOptions, 'gap' | 'zoom'> = {},
): RgbImage {
  const gap = options.gap ?? 2;
  const zoom = options.zoom ?? 1;
  const width = Math.max(...panels.map((p) => p.reduce((w, panel) => w + panel.width * zoom + gap, gap)));
  const height = panels.reduce((h, p) => h + p[0].height * zoom + gap, gap);
  const data = new Uint8Array(width * height * 3).fill(64);
  let top = gap;
  for (const row of panels) {
    let left = gap;
    for (const panel of row) {
      for (let y = 0; y < panel.height * zoom; y++) {
        for (let x = 0; x < panel.width * zoom; x++) {
          const from = (Math.floor(y / zoom) * panel.width + Math.floor(x / zoom)) * 3;
          data.set(panel.data.subarray(from, from + 3), ((top + y) * width + left + x) * 3);
        }
      }
      left += panel.width * zoom + gap;
    }
    top += row[0].height * zoom + gap;
  }
  return { width, height, channels: 3, data };
}
