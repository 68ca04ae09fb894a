/**
 * The detection datasets configs can name (`voc2007`, `coco2017`), registered in core's
 * registries when `@perturb/detection/node` is imported: they read files. Each split loads as a
 * `@perturb/datasets` `Dataset` whose `boxes` hold every object, the crowd (COCO) and difficult
 * (VOC) ones flagged for evaluation only; images are resized on read to a square `size` (boxes
 * and areas scaled with them), as the segmentation layouts are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { type Dataset, type ObjectBoxes, type RgbImage, decodeImage, resizeImage } from '@perturb/datasets';
import { defineFolderDataset } from '@perturb/segmentation/node';
import type { DetectionDataset, DetectionRecord } from './dataset';
import { loadCocoDetection, loadVocDetection } from './dataset-files';

function readImage(path: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PerturbError(
      `image ${path} cannot be read (${code ?? String(error)})`,
      'restore the dataset’s image folder next to its annotations',
    );
  }
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeImage(data, path);
}

/** The class of an image's largest object (so subsets can balance); 0 for an image without objects. */
function dominantClass(record: DetectionRecord): number {
  let best = -1;
  for (let j = 0; j < record.labels.length; j++) {
    if (best < 0 || record.area[j] > record.area[best]) best = j;
  }
  return best < 0 ? 0 : record.labels[best] - 1;
}

/**
 * The first `limit` records of `data` read and resized to `side × side`, their boxes scaled into
 * the resized pixels. The record's own size is its image's (annotations may not state it).
 */
export function readDetection(name: string, data: DetectionDataset, side: number, limit?: number): Dataset {
  const records = data.records.slice(0, limit);
  const images = new Uint8Array(records.length * side * side * 3);
  const offsets = new Int32Array(records.length + 1);
  records.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.labels.length));
  const total = offsets[records.length];
  const boxes = new Float32Array(total * 4);
  const classes = new Int32Array(total);
  const evaluationOnly = new Uint8Array(total);
  const areas = new Float32Array(total);
  records.forEach((record, i) => {
    const image = readImage(record.image);
    images.set(resizeImage(image.data, image.height, image.width, 3, side), i * side * side * 3);
    const [sx, sy] = [side / image.width, side / image.height];
    for (let j = 0; j < record.labels.length; j++) {
      const row = offsets[i] + j;
      const [x1, y1, x2, y2] = record.boxes.subarray(4 * j, 4 * j + 4);
      boxes.set([x1 * sx, y1 * sy, x2 * sx, y2 * sy], 4 * row);
      classes[row] = record.labels[j] - 1;
      evaluationOnly[row] = record.crowd[j] || record.difficult[j] ? 1 : 0;
      areas[row] = record.area[j] * sx * sy;
    }
  });
  const classNames = data.classes.slice(1);
  const objects: ObjectBoxes = { classNames, offsets, boxes, classes, evaluationOnly, areas };
  return {
    name,
    images,
    labels: Int32Array.from(records, dominantClass),
    shape: { height: side, width: side, channels: 3 },
    numClasses: classNames.length,
    classNames,
    boxes: objects,
  };
}

/** Registers a detection dataset read through `open` (its annotations) with `readDetection`. */
function defineDetection(
  name: string,
  summary: string,
  open: (root: string, split: string) => Promise<DetectionDataset>,
  splits: [string, string],
) {
  return defineFolderDataset(
    name,
    summary,
    async (root, split, side, limit) => readDetection(name, await open(root, split), side, limit),
    splits,
    256,
  );
}

/** Accepts the VOC2007 folder itself or a folder above it (`VOCdevkit/`, or the one holding it). */
function voc2007Root(root: string): string {
  const found = [root, join(root, 'VOC2007'), join(root, 'VOCdevkit', 'VOC2007')].find((candidate) =>
    existsSync(join(candidate, 'ImageSets', 'Main')),
  );
  if (!found) {
    throw new PerturbError(
      `${root} holds no Pascal VOC 2007 folder (ImageSets/Main, Annotations, JPEGImages)`,
      'set dataRoot to the VOC2007 folder or the VOCdevkit folder above it',
    );
  }
  return found;
}

defineDetection(
  'voc2007',
  'detection: Pascal VOC 2007 from its folder (Annotations XML, JPEGImages, ImageSets/Main), 20 classes; difficult objects kept for evaluation only',
  (root, split) => loadVocDetection(voc2007Root(root), { split }),
  ['trainval', 'test'],
);

defineDetection(
  'coco2017',
  'detection: COCO 2017 from its folder (annotations/instances_<split>.json, <split>/ images), 80 classes; crowd regions kept for evaluation only',
  (root, split) =>
    loadCocoDetection(join(root, 'annotations', `instances_${split}.json`), { imageRoot: join(root, split) }),
  ['train2017', 'val2017'],
);
