import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '@perturb/datasets/node';
import { encodeJpeg } from '@perturb/segmentation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './dataset-definitions';
import { datasetGroundTruth } from './dataset-ground-truth';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perturb-detection-datasets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A gray `width × height` JPEG. */
const jpeg = (width: number, height: number) =>
  encodeJpeg({ width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(128) });

const vocObject = (name: string, box: number[], difficult = 0) =>
  `<object><name>${name}</name><difficult>${difficult}</difficult><bndbox><xmin>${box[0]}</xmin><ymin>${box[1]}</ymin><xmax>${box[2]}</xmax><ymax>${box[3]}</ymax></bndbox></object>`;

describe('the voc2007 and coco2017 datasets', () => {
  it('read VOC 2007 resized to `size`, boxes scaled, difficult objects for evaluation only', async () => {
    const root = join(dir, 'VOCdevkit', 'VOC2007');
    for (const sub of ['Annotations', 'JPEGImages', join('ImageSets', 'Main')]) {
      await mkdir(join(root, sub), { recursive: true });
    }
    await writeFile(join(root, 'ImageSets', 'Main', 'test.txt'), '000001\n');
    await writeFile(join(root, 'ImageSets', 'Main', 'trainval.txt'), '000001\n');
    await writeFile(join(root, 'JPEGImages', '000001.jpg'), jpeg(200, 100));
    await writeFile(
      join(root, 'Annotations', '000001.xml'),
      `<annotation><filename>000001.jpg</filename><size><width>200</width><height>100</height></size>${vocObject('dog', [11, 21, 110, 60])}${vocObject('cat', [1, 1, 50, 50], 1)}</annotation>`,
    );
    const splits = await openDataset('voc2007', { dataRoot: dir, size: 50 });
    const test = await splits.test();
    expect(test.shape).toEqual({ height: 50, width: 50, channels: 3 });
    expect(test.numClasses).toBe(20);
    expect(test.images.length).toBe(50 * 50 * 3);
    const objects = test.boxes!;
    // VOC's 1-based inclusive (11, 21)–(110, 60) is (10, 20)–(110, 60) in pixels; × (0.25, 0.5).
    expect(Array.from(objects.boxes.subarray(0, 4))).toEqual([2.5, 10, 27.5, 30]);
    expect(Array.from(objects.classes)).toEqual([11, 7]);
    expect(Array.from(objects.evaluationOnly!)).toEqual([0, 1]);
    expect(test.labels[0]).toBe(11);
    // The full ground truth keeps the difficult cat as a crowd region.
    const truth = datasetGroundTruth(test);
    expect(truth.annotations.map((a) => [a.category_id, a.iscrowd])).toEqual([
      [12, 0],
      [8, 1],
    ]);
    expect(truth.annotations[0].bbox).toEqual([2.5, 10, 25, 20]);
    expect(truth.annotations[0].area).toBeCloseTo(25 * 20, 4);
  });

  it('read COCO 2017 from annotations/ and the split’s image folder, crowd regions for evaluation only', async () => {
    const root = join(dir, 'coco');
    await mkdir(join(root, 'annotations'), { recursive: true });
    await mkdir(join(root, 'val2017'), { recursive: true });
    await writeFile(join(root, 'val2017', '000000000042.jpg'), jpeg(64, 32));
    const annotations = {
      images: [{ id: 42, file_name: '000000000042.jpg', width: 64, height: 32 }],
      categories: [
        { id: 18, name: 'dog' },
        { id: 1, name: 'person' },
      ],
      annotations: [
        { id: 1, image_id: 42, category_id: 18, bbox: [8, 4, 16, 8], area: 100, iscrowd: 0 },
        { id: 2, image_id: 42, category_id: 1, bbox: [0, 0, 64, 32], area: 2048, iscrowd: 1 },
      ],
    };
    await writeFile(join(root, 'annotations', 'instances_val2017.json'), JSON.stringify(annotations));
    const test = await (await openDataset('coco2017', { dataRoot: root, size: 32 })).test();
    expect(test.classNames).toEqual(['person', 'dog']);
    const objects = test.boxes!;
    expect(Array.from(objects.boxes.subarray(0, 4))).toEqual([4, 4, 12, 12]);
    expect(Array.from(objects.classes)).toEqual([1, 0]);
    expect(Array.from(objects.evaluationOnly!)).toEqual([0, 1]);
    // COCO's area (its segmentation's) scaled with the image: × 0.5 × 1.
    expect(objects.areas![0]).toBeCloseTo(50, 4);
  });

  it('refuse a folder without VOC 2007 in one line', async () => {
    const splits = await openDataset('voc2007', { dataRoot: join(dir, 'nowhere') });
    await expect(splits.train()).rejects.toThrow(
      /holds no Pascal VOC 2007 folder .*set dataRoot to the VOC2007 folder/,
    );
  });
});
