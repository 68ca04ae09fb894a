/**
 * Detection grids for reports: one row per image, the predicted boxes drawn on it beside the
 * ground truth's, each box outlined in its class's colour (as RGB bytes; save with
 * `encodeRgbPng` of `@perturb/segmentation`).
 */
import { PerturbError } from '@perturb/core';
import { type LabelImage, type RgbImage, asRgb, tilePanels, vocPalette } from '@perturb/segmentation';

/** Boxes of one image: flat (x1, y1, x2, y2, …) pixels with exclusive right/bottom edges, a class each. */
export interface GridBoxes {
  boxes: ArrayLike<number>;
  /** Class id of each box, 0-based over the object classes; −1 rows (padding) are not drawn. */
  classes: ArrayLike<number>;
}

/** One row of a detection grid: the image, what the model found and what is there. */
export interface DetectionGridRow {
  image: RgbImage | LabelImage;
  predicted: GridBoxes;
  truth: GridBoxes;
}

/** Options of {@link detectionGrid}. */
export interface DetectionGridOptions {
  /** RGB colour of each class id. Default: the Pascal VOC colour map from its second entry (its first is black). */
  palette?: readonly (readonly number[])[];
  /** Pixels of background between panels. Default 2. */
  gap?: number;
  /** Integer upscaling of every image before the boxes are drawn, so thin boxes stay visible. Default 1. */
  zoom?: number;
}

/** The colour of class `classId` in `palette` (cycling when there are more classes than colours). */
export function classColor(
  classId: number,
  palette: readonly (readonly number[])[] = DEFAULT_PALETTE,
): readonly number[] {
  return palette[classId % palette.length];
}

const DEFAULT_PALETTE: readonly (readonly number[])[] = vocPalette().slice(1);

/**
 * Outlines, in place, the box (x1, y1, x2, y2) — image pixels with exclusive right/bottom
 * edges, scaled by `zoom` — one pixel wide in `colour`, clipped to the image.
 */
export function drawBox(image: RgbImage, box: ArrayLike<number>, colour: readonly number[], zoom = 1): void {
  const clampX = (v: number) => Math.min(Math.max(Math.round(v), 0), image.width - 1);
  const clampY = (v: number) => Math.min(Math.max(Math.round(v), 0), image.height - 1);
  const [x1, y1] = [clampX(box[0] * zoom), clampY(box[1] * zoom)];
  // The exclusive edge x2 is the column after the box: its last column is x2 · zoom − 1.
  const [x2, y2] = [clampX(box[2] * zoom - 1), clampY(box[3] * zoom - 1)];
  if (x2 < x1 || y2 < y1) return;
  const paint = (x: number, y: number) => image.data.set(colour.slice(0, 3), (y * image.width + x) * 3);
  for (let x = x1; x <= x2; x++) {
    paint(x, y1);
    paint(x, y2);
  }
  for (let y = y1; y <= y2; y++) {
    paint(x1, y);
    paint(x2, y);
  }
}

/**
 * A copy of `image`, enlarged `zoom` times (default 1), with `boxes` outlined in their classes'
 * colours: one panel of a detection grid, or a photo with a detector's boxes on its own.
 */
export function imageWithBoxes(
  image: RgbImage | LabelImage,
  boxes: GridBoxes,
  options: Pick<DetectionGridOptions, 'palette' | 'zoom'> = {},
): RgbImage {
  const zoom = options.zoom ?? 1;
  // One panel tiled without gaps is the image enlarged: boxes are drawn at the zoomed size.
  const panel = tilePanels([[asRgb(image)]], { gap: 0, zoom });
  for (let i = 0; i < boxes.classes.length; i++) {
    const classId = boxes.classes[i];
    if (classId < 0) continue;
    const box = Array.from({ length: 4 }, (_, k) => boxes.boxes[4 * i + k]);
    drawBox(panel, box, classColor(classId, options.palette), zoom);
  }
  return panel;
}

/** A grid with one row per image: predicted boxes | ground-truth boxes, each on the image. */
export function detectionGrid(
  rows: readonly DetectionGridRow[],
  options: DetectionGridOptions = {},
): RgbImage {
  if (rows.length === 0) throw new PerturbError('the grid has no rows', 'pass at least one image');
  const zoom = options.zoom ?? 1;
  if (!Number.isInteger(zoom) || zoom < 1) {
    throw new PerturbError(`zoom must be a positive integer, got ${zoom}`, 'pass e.g. { zoom: 2 }');
  }
  const panels = rows.map((row) => {
    const image = asRgb(row.image);
    const panelOptions = { palette: options.palette, zoom };
    return [
      imageWithBoxes(image, row.predicted, panelOptions),
      imageWithBoxes(image, row.truth, panelOptions),
    ];
  });
  return tilePanels(panels, { gap: options.gap });
}
