import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerturbError, Rng } from '@perturb/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type LabelImage,
  type RgbImage,
  encodeGrayPng,
  encodeJpeg,
  encodeLabelPng,
  encodeRgbPng,
} from '@perturb/datasets';
import { CITYSCAPES_TRAIN_IDS, readAll } from './layouts';
import { openCityscapes, openVoc } from './layouts-files';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perturb-seg-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A smooth colour image (JPEG keeps it within a few levels). */
function photo(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = 10 + 2 * x + 3 * y + 50 * c + 5 * seed;
  return { width, height, channels: 3, data };
}

/** A label map of random class ids from `ids`, with a one-pixel border of `border`. */
function labelMap(width: number, height: number, ids: number[], rng: Rng, border?: number): LabelImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const edge = x === 0 || y === 0 || x === width - 1 || y === height - 1;
      data[y * width + x] = edge && border !== undefined ? border : ids[rng.int(ids.length)];
    }
  return { width, height, data };
}

function writeVoc(): { root: string; labels: Record<string, LabelImage>; images: Record<string, RgbImage> } {
  const root = tempDir();
  const voc = join(root, 'VOCdevkit', 'VOC2012');
  for (const sub of ['JPEGImages', 'SegmentationClass', join('ImageSets', 'Segmentation')]) {
    mkdirSync(join(voc, sub), { recursive: true });
  }
  const rng = new Rng(1);
  const labels: Record<string, LabelImage> = {};
  const images: Record<string, RgbImage> = {};
  const ids = ['2007_000032', '2007_000039', '2008_000002'];
  ids.forEach((id, k) => {
    images[id] = photo(24 + 8 * k, 16, k);
    labels[id] = labelMap(24 + 8 * k, 16, [0, 1, 15, 20], rng, 255);
    writeFileSync(join(voc, 'JPEGImages', `${id}.jpg`), encodeJpeg(images[id], 95));
    writeFileSync(join(voc, 'SegmentationClass', `${id}.png`), encodeLabelPng(labels[id]));
  });
  writeFileSync(join(voc, 'ImageSets', 'Segmentation', 'train.txt'), `${ids[0]}\n${ids[2]}\n`);
  writeFileSync(join(voc, 'ImageSets', 'Segmentation', 'val.txt'), `${ids[1]}\r\n`);
  return { root, labels, images };
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('Pascal VOC 2012 layout', () => {
  it('reads the split, the JPEGs and the palette indices of SegmentationClass PNGs', () => {
    const { root, labels, images } = writeVoc();
    const train = openVoc(root);
    expect(train.ids).toEqual(['2007_000032', '2008_000002']);
    expect(train.numClasses).toBe(21);
    const samples = readAll(train);
    for (const s of samples) {
      expect(Array.from(s.labels.data)).toEqual(Array.from(labels[s.id].data));
      expect([s.image.width, s.image.height]).toEqual([images[s.id].width, images[s.id].height]);
      expect(maxDifference(s.image.data, images[s.id].data)).toBeLessThan(12);
    }
    // Also from the VOC2012 folder itself, and the val split with Windows line ends.
    const val = openVoc(join(root, 'VOCdevkit', 'VOC2012'), { split: 'val' });
    expect(val.ids).toEqual(['2007_000039']);
    expect(val.read(0).labels.data).toContain(255);
  });

  it('fails with one line naming the file and the fix', () => {
    const { root } = writeVoc();
    const voc = join(root, 'VOCdevkit', 'VOC2012');
    expect(() => openVoc(join(root, 'nothing'))).toThrow(
      /holds no Pascal VOC 2012 layout.*extract VOCtrainval/,
    );
    expect(() => openVoc(root, { split: 'test' })).toThrow(
      /test\.txt is missing\. pass one of the splits .*: (train, val|val, train)/,
    );
    rmSync(join(voc, 'JPEGImages', '2007_000032.jpg'));
    expect(() => openVoc(root).read(0)).toThrow(/2007_000032\.jpg is missing/);
    writeFileSync(
      join(voc, 'SegmentationClass', '2008_000002.png'),
      encodeLabelPng(labelMap(4, 4, [0], new Rng(0))).subarray(0, 40),
    );
    expect(() => openVoc(root).read(1)).toThrow(/2008_000002\.png is not a readable PNG/);
    writeFileSync(join(voc, 'SegmentationClass', '2008_000002.png'), encodeRgbPng(photo(40, 16, 0)));
    expect(() => openVoc(root).read(1)).toThrow(/3-channel colour PNG/);
    writeFileSync(
      join(voc, 'SegmentationClass', '2008_000002.png'),
      encodeLabelPng(labelMap(40, 16, [0, 33], new Rng(0))),
    );
    expect(() => openVoc(root).read(1)).toThrow(/class id 33/);
    writeFileSync(
      join(voc, 'SegmentationClass', '2008_000002.png'),
      encodeLabelPng(labelMap(8, 8, [0], new Rng(0))),
    );
    expect(() => openVoc(root).read(1)).toThrow(/is 8×8 but its image 2008_000002 is 40×16/);
    writeFileSync(join(voc, 'JPEGImages', '2008_000002.jpg'), new Uint8Array([0xff, 0xd8, 1, 2, 3]));
    expect(() => openVoc(root).read(1)).toThrow(PerturbError);
    expect(() => openVoc(root).read(1)).toThrow(/2008_000002\.jpg is not a readable JPEG/);
    expect(() => openVoc(root).read(5)).toThrow(/sample 5 is outside VOC train, which has 2/);
  });
});

describe('Cityscapes layout', () => {
  function writeCityscapes(): { root: string; image: RgbImage; labelIds: LabelImage } {
    const root = tempDir();
    const image = photo(32, 16, 3);
    const labelIds = labelMap(32, 16, [0, 4, 7, 8, 24, 26, 29, 33], new Rng(2));
    for (const [city, name] of [
      ['aachen', 'aachen_000000_000019'],
      ['bremen', 'bremen_000001_000019'],
    ]) {
      mkdirSync(join(root, 'leftImg8bit', 'train', city), { recursive: true });
      mkdirSync(join(root, 'gtFine', 'train', city), { recursive: true });
      writeFileSync(join(root, 'leftImg8bit', 'train', city, `${name}_leftImg8bit.png`), encodeRgbPng(image));
      writeFileSync(
        join(root, 'gtFine', 'train', city, `${name}_gtFine_labelIds.png`),
        encodeGrayPng(labelIds),
      );
      writeFileSync(join(root, 'gtFine', 'train', city, `${name}_gtFine_color.png`), encodeRgbPng(image));
    }
    return { root, image, labelIds };
  }

  it('reads leftImg8bit images and maps gtFine label ids to the 19 train ids', () => {
    const { root, image, labelIds } = writeCityscapes();
    const source = openCityscapes(root, { split: 'train' });
    expect(source.ids).toEqual(['aachen_000000_000019', 'bremen_000001_000019']);
    expect(source.numClasses).toBe(19);
    const sample = source.read(1);
    expect(Array.from(sample.image.data)).toEqual(Array.from(image.data));
    const expected = Array.from(labelIds.data, (id) => CITYSCAPES_TRAIN_IDS[id] ?? 255);
    expect(Array.from(sample.labels.data)).toEqual(expected);
    // road 7 → 0, sidewalk 8 → 1, person 24 → 11, car 26 → 13, bicycle 33 → 18; 0, 4, 29 → ignore.
    expect([7, 8, 24, 26, 33, 0, 4, 29].map((id) => CITYSCAPES_TRAIN_IDS[id] ?? 255)).toEqual([
      0, 1, 11, 13, 18, 255, 255, 255,
    ]);
  });

  it('fails with one line naming the file and the fix', () => {
    const { root } = writeCityscapes();
    expect(() => openCityscapes(root, { split: 'val' })).toThrow(
      /leftImg8bit\/val is missing\. pass one of the splits there: train/,
    );
    rmSync(join(root, 'gtFine', 'train', 'bremen', 'bremen_000001_000019_gtFine_labelIds.png'));
    expect(() => openCityscapes(root).read(1)).toThrow(
      /bremen_000001_000019_gtFine_labelIds\.png is missing\. extract gtFine/,
    );
    expect(() => openCityscapes(tempDir())).toThrow(
      /leftImg8bit\/train is missing\. download leftImg8bit_trainvaltest\.zip/,
    );
  });
});

describe('voc2012 as a registered dataset', () => {
  it('reads a split into a Dataset resized to size × size, label maps by nearest', async () => {
    const { openDataset } = await import('@perturb/datasets/node');
    await import('./dataset-definitions');
    const { root, labels } = writeVoc();
    const splits = await openDataset('voc2012', { dataRoot: root, size: 16 });
    const train = await splits.train();
    expect(train.shape).toEqual({ height: 16, width: 16, channels: 3 });
    expect(train.numClasses).toBe(21);
    const source = labels['2007_000032']; // 24 × 16: rows kept, columns read at ⌊(c + ½)·24/16⌋
    const expected = Array.from({ length: 256 }, (_, p) => {
      const [r, c] = [Math.floor(p / 16), p % 16];
      return source.data[r * 24 + Math.floor(((c + 0.5) * 24) / 16)];
    });
    expect(Array.from(train.labelMaps!.classes.subarray(0, 256))).toEqual(expected);
    expect((await splits.test()).labels.length).toBe(1);
  });
});
