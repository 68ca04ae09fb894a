import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cocoEvaluate } from './coco-eval';
import { VOC_CLASSES, cocoDetectionFromJson, toCocoGroundTruth } from './dataset';
import { loadCocoDetection, loadVocDetection } from './dataset-files';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perturb-detection-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A small COCO instances file: two images, three categories with non-contiguous ids, a crowd region, a degenerate box. */
const COCO = {
  info: { description: 'test' },
  licenses: [],
  images: [
    { id: 42, file_name: '000000000042.jpg', width: 640, height: 480 },
    { id: 7, file_name: '000000000007.jpg', width: 320, height: 240 },
  ],
  categories: [
    { id: 18, name: 'dog', supercategory: 'animal' },
    { id: 1, name: 'person', supercategory: 'person' },
    { id: 3, name: 'car', supercategory: 'vehicle' },
  ],
  annotations: [
    {
      id: 1,
      image_id: 42,
      category_id: 18,
      bbox: [10.5, 20, 100, 50.25],
      area: 4000.5,
      iscrowd: 0,
      segmentation: [[10.5, 20, 110.5, 20, 110.5, 70.25]],
    },
    {
      id: 2,
      image_id: 42,
      category_id: 1,
      bbox: [0, 0, 300, 200],
      area: 30000,
      iscrowd: 1,
      segmentation: { counts: [0, 10], size: [480, 640] },
    },
    { id: 3, image_id: 7, category_id: 3, bbox: [5, 5, 20, 10], area: 150, iscrowd: 0 },
    { id: 4, image_id: 7, category_id: 3, bbox: [5, 5, 0, 10], area: 0, iscrowd: 0 },
  ],
};

describe('COCO JSON', () => {
  it('reads boxes as [x1, y1, x2, y2], labels by sorted category id, crowd flags and areas', async () => {
    const file = join(dir, 'instances_test.json');
    await writeFile(file, JSON.stringify(COCO));
    const data = await loadCocoDetection(file, { imageRoot: join(dir, 'images') });
    expect(data.classes).toEqual(['__background__', 'person', 'car', 'dog']);
    expect(data.categoryIds).toEqual([-1, 1, 3, 18]);
    const [a, b] = data.records;
    expect(a.id).toBe(42);
    expect(a.image).toBe(join(dir, 'images', '000000000042.jpg'));
    expect([a.width, a.height]).toEqual([640, 480]);
    expect(Array.from(a.boxes)).toEqual([10.5, 20, 110.5, 70.25, 0, 0, 300, 200]);
    expect(Array.from(a.labels)).toEqual([3, 1]);
    expect(a.crowd).toEqual([false, true]);
    expect(a.difficult).toEqual([false, false]);
    expect(Array.from(a.area)).toEqual([4000.5, 30000]);
    // The zero-width box is dropped.
    expect(Array.from(b.boxes)).toEqual([5, 5, 25, 15]);
    expect(Array.from(b.labels)).toEqual([2]);
  });

  it('round-trips to a COCO ground truth that evaluates its own boxes at AP 1', () => {
    const data = cocoDetectionFromJson(COCO);
    const gt = toCocoGroundTruth(data);
    expect(gt.annotations.map((a) => [a.image_id, a.category_id, a.iscrowd])).toEqual([
      [42, 18, 0],
      [42, 1, 1],
      [7, 3, 0],
    ]);
    const detections = gt.annotations.filter((a) => !a.iscrowd).map((a) => ({ ...a, score: 1 }));
    expect(cocoEvaluate(detections, gt).AP).toBeCloseTo(1, 12);
  });

  it('fails in one clear line on a missing file, a folder, broken JSON and a wrong structure', async () => {
    const missing = join(dir, 'nope.json');
    await expect(loadCocoDetection(missing)).rejects.toThrow(PerturbError);
    await expect(loadCocoDetection(missing)).rejects.toThrow(
      `COCO annotation file ${missing} does not exist`,
    );
    await expect(loadCocoDetection(dir)).rejects.toThrow(/is a folder, not a file/);
    const cut = join(dir, 'cut.json');
    await writeFile(cut, JSON.stringify(COCO).slice(0, 100));
    await expect(loadCocoDetection(cut)).rejects.toThrow(/is not valid JSON/);
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ images: [] }));
    await expect(loadCocoDetection(wrong)).rejects.toThrow(/lack an images, annotations or categories list/);
    const badBox = { ...COCO, annotations: [{ id: 9, image_id: 42, category_id: 1, bbox: [1, 2, 3] }] };
    expect(() => cocoDetectionFromJson(badBox)).toThrow(/annotation 9 has bbox \[1,2,3\]/);
    const badCat = { ...COCO, annotations: [{ id: 9, image_id: 42, category_id: 99, bbox: [1, 2, 3, 4] }] };
    expect(() => cocoDetectionFromJson(badCat)).toThrow(/category_id 99, which is not among the categories/);
    for (const error of [badBox, badCat].map((j) => captured(() => cocoDetectionFromJson(j)))) {
      expect(error.message.split('\n')).toHaveLength(1);
    }
  });
});

function captured(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

/** A VOC annotation file as the devkit writes it. */
function vocXml(
  name: string,
  objects: { name: string; box: [number, number, number, number]; difficult?: number }[],
): string {
  const objs = objects
    .map(
      (o) => `	<object>
		<name>${o.name}</name>
		<pose>Unspecified</pose>
		<truncated>0</truncated>
		<difficult>${o.difficult ?? 0}</difficult>
		<bndbox>
			<xmin>${o.box[0]}</xmin>
			<ymin>${o.box[1]}</ymin>
			<xmax>${o.box[2]}</xmax>
			<ymax>${o.box[3]}</ymax>
		</bndbox>
	</object>`,
    )
    .join('\n');
  return `<annotation>
	<folder>VOC2007</folder>
	<filename>${name}.jpg</filename>
	<source>
		<database>The VOC2007 Database</database>
		<annotation>PASCAL VOC2007</annotation>
		<image>flickr</image>
	</source>
	<size>
		<width>353</width>
		<height>500</height>
		<depth>3</depth>
	</size>
	<segmented>0</segmented>
${objs}
</annotation>
`;
}

describe('Pascal VOC XML', () => {
  async function vocFolder(files: Record<string, string>, split = '000005\n000007\n') {
    const root = await mkdtemp(join(dir, 'VOC2007-'));
    await mkdir(join(root, 'Annotations'), { recursive: true });
    await mkdir(join(root, 'ImageSets', 'Main'), { recursive: true });
    await mkdir(join(root, 'JPEGImages'), { recursive: true });
    await writeFile(join(root, 'ImageSets', 'Main', 'trainval.txt'), split);
    for (const [id, xml] of Object.entries(files))
      await writeFile(join(root, 'Annotations', `${id}.xml`), xml);
    return root;
  }

  it('reads the split, boxes (1-based inclusive corners → continuous), labels and difficult flags', async () => {
    const root = await vocFolder({
      '000005': vocXml('000005', [
        { name: 'chair', box: [263, 211, 324, 339] },
        { name: 'chair', box: [5, 244, 67, 374], difficult: 1 },
      ]),
      '000007': vocXml('000007', [{ name: 'car', box: [141, 50, 500, 330] }]),
    });
    const data = await loadVocDetection(root);
    expect(data.classes).toEqual(['__background__', ...VOC_CLASSES]);
    expect(data.records.map((r) => r.id)).toEqual(['000005', '000007']);
    const [a, b] = data.records;
    expect(a.image).toBe(join(root, 'JPEGImages', '000005.jpg'));
    expect([a.width, a.height]).toEqual([353, 500]);
    expect(Array.from(a.boxes)).toEqual([262, 210, 324, 339, 4, 243, 67, 374]);
    expect(Array.from(a.labels)).toEqual([
      VOC_CLASSES.indexOf('chair') + 1,
      VOC_CLASSES.indexOf('chair') + 1,
    ]);
    expect(a.difficult).toEqual([false, true]);
    expect(a.crowd).toEqual([false, false]);
    expect(Array.from(a.area)).toEqual([62 * 129, 63 * 131]);
    expect(Array.from(b.labels)).toEqual([7]);
    const easy = await loadVocDetection(root, { keepDifficult: false });
    expect(Array.from(easy.records[0].labels)).toHaveLength(1);
  });

  it('takes a custom class list and an image with no objects', async () => {
    const root = await vocFolder(
      { a: vocXml('a', [{ name: 'shirt', box: [1, 1, 10, 10] }]), b: vocXml('b', []) },
      'a\nb\n',
    );
    const data = await loadVocDetection(root, { classes: ['trouser', 'shirt'] });
    expect(Array.from(data.records[0].labels)).toEqual([2]);
    expect(data.records[1].boxes.length).toBe(0);
  });

  it('fails in one clear line on a missing split, a missing or corrupt file, unknown classes and bad numbers', async () => {
    const good = vocXml('000005', [{ name: 'dog', box: [1, 2, 3, 4] }]);
    await expect(loadVocDetection(join(dir, 'no-such-voc'))).rejects.toThrow(
      /VOC split list .*trainval\.txt does not exist/,
    );
    const missing = await vocFolder({ '000005': good });
    await expect(loadVocDetection(missing)).rejects.toThrow(
      /000007\.xml does not exist\. restore Annotations\/000007\.xml or remove 000007/,
    );
    const corrupt = await vocFolder({ '000005': good, '000007': good.slice(0, 200) });
    await expect(loadVocDetection(corrupt)).rejects.toThrow(/000007\.xml is not well-formed XML \(line \d+/);
    const unknown = await vocFolder({
      '000005': good,
      '000007': vocXml('000007', [{ name: 'unicorn', box: [1, 2, 3, 4] }]),
    });
    await expect(loadVocDetection(unknown)).rejects.toThrow(
      /object 0 has class "unicorn", which is not among the 20 classes/,
    );
    const badNumber = await vocFolder({
      '000005': good,
      '000007': good.replace('<xmin>1</xmin>', '<xmin>one</xmin>'),
    });
    await expect(loadVocDetection(badNumber)).rejects.toThrow(/<xmin> is "one", not a number/);
    const noSize = await vocFolder({ '000005': good, '000007': good.replace(/<size>[\s\S]*<\/size>/, '') });
    await expect(loadVocDetection(noSize)).rejects.toThrow(/has no <size> element/);
    await expect(loadVocDetection(noSize)).rejects.toThrow(PerturbError);
  });
});
