/**
 * What the two standard segmentation layouts (Pascal VOC 2012 and Cityscapes) share and runs
 * anywhere: samples, sources, class names and Cityscapes' train ids. Their readers of folders
 * are `layouts-files.ts` (Node): both open lazily (the split's file list is read up front and
 * checked, images are decoded on `read`), give RGB images and label maps of train ids with
 * 255 = ignore, and fail with one line naming the file and the fix.
 */
import type { LabelImage, RgbImage } from '@perturb/datasets';

/** The label value both layouts use for pixels to skip. */
export const IGNORE_INDEX = 255;

/** One image with its label map. */
export interface SegmentationSample {
  /** The sample's name, e.g. `2007_000032` or `aachen_000000_000019`. */
  readonly id: string;
  readonly image: RgbImage;
  /** Train ids `0..numClasses-1`, 255 = ignore. */
  readonly labels: LabelImage;
}

/** A split of a segmentation dataset on disk, read one sample at a time. */
export interface SegmentationSource {
  readonly name: string;
  readonly split: string;
  /** Sample ids in the split's order. */
  readonly ids: readonly string[];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Always 255. */
  readonly ignoreIndex: number;
  /** Decodes sample `index` (0-based, in `ids` order). */
  read(index: number): SegmentationSample;
}

/** The 21 Pascal VOC classes, background first. */
export const VOC_CLASSES = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
] as const;

/** The 19 Cityscapes training classes, in train-id order. */
export const CITYSCAPES_CLASSES = [
  'road',
  'sidewalk',
  'building',
  'wall',
  'fence',
  'pole',
  'traffic light',
  'traffic sign',
  'vegetation',
  'terrain',
  'sky',
  'person',
  'rider',
  'car',
  'truck',
  'bus',
  'train',
  'motorcycle',
  'bicycle',
] as const;

/**
 * Cityscapes label id → train id, from the official `cityscapesScripts/helpers/labels.py`:
 * the 19 evaluated classes get 0..18, every other id (void, ground, parking, rail track, guard
 * rail, bridge, tunnel, polegroup, caravan, trailer, and ids past 33) gets 255.
 */
export const CITYSCAPES_TRAIN_IDS: Readonly<Record<number, number>> = {
  7: 0, // road
  8: 1, // sidewalk
  11: 2, // building
  12: 3, // wall
  13: 4, // fence
  17: 5, // pole
  19: 6, // traffic light
  20: 7, // traffic sign
  21: 8, // vegetation
  22: 9, // terrain
  23: 10, // sky
  24: 11, // person
  25: 12, // rider
  26: 13, // car
  27: 14, // truck
  28: 15, // bus
  31: 16, // train
  32: 17, // motorcycle
  33: 18, // bicycle
};

/** A 256-entry lookup table from Cityscapes label ids to train ids. */
export function cityscapesTrainIdTable(): Uint8Array {
  const table = new Uint8Array(256).fill(IGNORE_INDEX);
  for (const [id, trainId] of Object.entries(CITYSCAPES_TRAIN_IDS)) table[Number(id)] = trainId;
  return table;
}

/** Cityscapes label ids (`*_gtFine_labelIds.png` values) → train ids, 255 for ignored ids. */
export function cityscapesTrainIds(labelIds: LabelImage): LabelImage {
  const table = cityscapesTrainIdTable();
  const data = new Uint8Array(labelIds.data.length);
  for (let i = 0; i < data.length; i++) data[i] = table[labelIds.data[i]];
  return { width: labelIds.width, height: labelIds.height, data };
}

/** Reads every sample of a source (or the first `limit`). */
export function readAll(source: SegmentationSource, limit = source.ids.length): SegmentationSample[] {
  return Array.from({ length: Math.min(limit, source.ids.length) }, (_, i) => source.read(i));
}
