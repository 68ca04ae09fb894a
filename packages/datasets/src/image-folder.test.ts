import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { type RgbImage, encodeJpeg, encodeRgbPng } from './codecs';
import { classCounts } from './dataset';
import { openDataset } from './definitions';
import { readImageFolder } from './image-folder';
import { maxDifference, photo, put, tempDir } from './testing/fixtures';

/** A `side × side` image of one colour. */
const flat = (side: number, rgb: number[]): RgbImage => ({
  width: side,
  height: side,
  channels: 3,
  data: Uint8Array.from({ length: side * side * 3 }, (_, i) => rgb[i % 3]),
});

/** Writes a split of `classes`, each holding `count` flat PNGs whose red channel is the class's index × 10 + n. */
function writeSplit(root: string, split: string, classes: string[], count: number, side = 4): void {
  classes.forEach((name, c) => {
    for (let n = 0; n < count; n++) {
      put(join(root, split, name, `img${n}.png`), encodeRgbPng(flat(side, [c * 10 + n, 0, 0])));
    }
  });
}

describe('readImageFolder', () => {
  it('numbers classes by sorted folder name and reads files by name, skipping hidden files and other extensions', () => {
    const root = tempDir();
    writeSplit(root, 'train', ['dog', 'ant', 'cat'], 2);
    put(join(root, 'train', 'ant', '.DS_Store'), new Uint8Array([1, 2, 3]));
    put(join(root, 'train', 'ant', 'notes.txt'), new Uint8Array([1, 2, 3]));
    put(join(root, 'train', '.ipynb_checkpoints', 'a.png'), encodeRgbPng(flat(4, [1, 1, 1])));
    put(join(root, 'train', 'cat', 'IMG2.JPG'), encodeJpeg(flat(4, [200, 100, 50]), 100));
    const data = readImageFolder(join(root, 'train'));
    expect(data.classNames).toEqual(['ant', 'cat', 'dog']);
    expect(data.numClasses).toBe(3);
    expect(Array.from(data.labels)).toEqual([0, 0, 1, 1, 1, 2, 2]);
    expect(data.shape).toEqual({ height: 4, width: 4, channels: 3 });
    // Red of each image's first pixel: "IMG2.JPG" sorts before "img0.png".
    const reds = Array.from(data.labels, (_, i) => data.images[i * 48]);
    expect(reds[2]).toBeGreaterThan(195);
    expect([...reds.slice(0, 2), ...reds.slice(3)]).toEqual([10, 11, 20, 21, 0, 1]);
  });

  it('reads a PNG to its exact pixels and a quality-100 JPEG within a few levels', () => {
    const root = tempDir();
    const image = photo(6, 5);
    put(join(root, 'a', 'x.png'), encodeRgbPng(image));
    put(join(root, 'b', 'y.jpeg'), encodeJpeg(image, 100));
    const data = readImageFolder(root);
    expect(Array.from(data.images.subarray(0, 90))).toEqual(Array.from(image.data));
    expect(maxDifference(data.images.subarray(90), image.data)).toBeLessThan(6);
  });

  it('turns gray into RGB by repeating it and RGB into gray by luma, and drops alpha', () => {
    const root = tempDir();
    put(
      join(root, 'gray', 'g.png'),
      encode({ width: 1, height: 1, data: new Uint8Array([77]), channels: 1, depth: 8 }),
    );
    put(
      join(root, 'rgba', 'c.png'),
      encode({ width: 1, height: 1, data: new Uint8Array([200, 100, 50, 0]), channels: 4, depth: 8 }),
    );
    expect(Array.from(readImageFolder(root).images)).toEqual([77, 77, 77, 200, 100, 50]);
    const gray = readImageFolder(root, { channels: 1 });
    expect(gray.shape.channels).toBe(1);
    // 0.299 · 200 + 0.587 · 100 + 0.114 · 50 = 124.2
    expect(Array.from(gray.images)).toEqual([77, 124]);
  });

  it('resizes the shorter side to size and keeps the centred square', () => {
    const root = tempDir();
    // 4 rows × 8 columns, column x holding 10·x; already 4 high, so only the crop acts.
    const wide = Uint8Array.from({ length: 4 * 8 }, (_, i) => 10 * (i % 8));
    put(join(root, 'a', 'wide.png'), encode({ width: 8, height: 4, data: wide, channels: 1, depth: 8 }));
    put(join(root, 'b', 'big.png'), encodeRgbPng(flat(12, [90, 90, 90])));
    const data = readImageFolder(root, { size: 4, channels: 1 });
    expect(data.shape).toEqual({ height: 4, width: 4, channels: 1 });
    expect(Array.from(data.images.subarray(0, 4))).toEqual([20, 30, 40, 50]);
    expect(new Set(data.images.subarray(16))).toEqual(new Set([90]));
  });

  it('reads only a balanced subset, the first images of each class by name', () => {
    const root = tempDir();
    writeSplit(root, 'train', ['a', 'b', 'c'], 4);
    const data = readImageFolder(join(root, 'train'), { subsetSize: 6 });
    expect(classCounts(data)).toEqual([2, 2, 2]);
    expect(Array.from(data.labels, (_, i) => data.images[i * 48])).toEqual([0, 1, 10, 11, 20, 21]);
  });

  it('refuses every broken folder in one line naming the problem and the fix', () => {
    const root = tempDir();
    expect(() => readImageFolder(join(root, 'nope'))).toThrow(
      /^image folder .*nope does not exist\. point to a folder laid out as folder\/<class>\/<image>\.png/,
    );
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'empty', 'stray.png'), encodeRgbPng(flat(2, [0, 0, 0])));
    expect(() => readImageFolder(join(root, 'empty'))).toThrow(
      /^image folder .*empty holds no class folders\. put each class's images in a subfolder/,
    );
    writeSplit(root, 'train', ['a'], 1);
    put(join(root, 'train', 'b', 'readme.md'), new Uint8Array([35]));
    expect(() => readImageFolder(join(root, 'train'))).toThrow(
      /^class folder .*train\/b holds no \.png, \.jpg or \.jpeg images\. add its images, or remove the folder$/,
    );
    put(join(root, 'train', 'b', 'bad.png'), encodeRgbPng(flat(4, [1, 2, 3])).subarray(0, 30));
    expect(() => readImageFolder(join(root, 'train'))).toThrow(
      /^.*train\/b\/bad\.png is not a readable PNG .*replace it with an intact copy/,
    );
    put(join(root, 'train', 'b', 'bad.png'), encodeRgbPng(flat(6, [1, 2, 3])));
    expect(() => readImageFolder(join(root, 'train'))).toThrow(
      /^.*train\/a\/img0\.png is 4×4 but .*train\/b\/bad\.png is 6×6\. set size: 4 to resize/,
    );
    expect(() => readImageFolder(join(root, 'train'), { classes: ['b'] })).toThrow(
      /train\/a is a class folder, but "a" is not one of the training classes \(b\)\. rename or remove it, or give the training split a folder "a" too/,
    );
  });
});

describe('the image-folder dataset', () => {
  it('reads its splits with the training classes, balanced subsets and padding', async () => {
    const root = tempDir();
    writeSplit(root, 'train', ['a', 'b', 'c'], 3);
    writeSplit(root, 'val', ['c', 'a'], 2);
    const splits = await openDataset('image-folder', {
      dataRoot: root,
      testSplit: 'val',
      trainSize: 3,
      padTo: 8,
    });
    const train = await splits.train();
    expect(classCounts(train)).toEqual([1, 1, 1]);
    expect(train.shape).toEqual({ height: 8, width: 8, channels: 3 });
    const test = await splits.test();
    expect(test.classNames).toEqual(['a', 'b', 'c']);
    expect(classCounts(test)).toEqual([2, 0, 2]);
    // Images already larger than padTo stay as they are (perturb train's padTo defaults to 32).
    const big = await (
      await openDataset('image-folder', { dataRoot: root, size: 40, padTo: 32, testSplit: 'val' })
    ).train();
    expect(big.shape).toEqual({ height: 40, width: 40, channels: 3 });
  });

  it('names the split folders there are when one is missing, and a test class the training split lacks', async () => {
    const root = tempDir();
    writeSplit(root, 'train', ['a'], 1);
    writeSplit(root, 'val', ['a', 'z'], 1);
    const splits = await openDataset('image-folder', { dataRoot: root });
    await expect(splits.test()).rejects.toThrow(
      /has no split folder "test" \(found train, val\)\. set testSplit: val$/,
    );
    await expect(
      (await openDataset('image-folder', { dataRoot: root, trainSplit: 'training' })).train(),
    ).rejects.toThrow(
      /has no split folder "training" \(found train, val\)\. set trainSplit: one of train, val$/,
    );
    await expect(
      (await openDataset('image-folder', { dataRoot: root, testSplit: 'val' })).test(),
    ).rejects.toThrow(/val\/z is a class folder, but "z" is not one of the training classes \(a\)/);
    await expect(
      (await openDataset('image-folder', { dataRoot: join(root, 'gone') })).train(),
    ).rejects.toThrow(
      /^dataRoot .*gone does not exist\. set dataRoot to the folder holding your split folders/,
    );
    await expect(openDataset('image-folder', { dataRoot: root, channels: 2 })).rejects.toThrow(/channels/);
    await expect(openDataset('image-folder', {})).rejects.toThrow(/dataRoot/);
  });

  it('holds out testFraction of each class of a folder without a test split, the same part every time', async () => {
    const root = tempDir();
    writeSplit(root, '.', ['a', 'b'], 10);
    put(join(root, 'c', 'only.png'), encodeRgbPng(flat(4, [20, 0, 0])));
    await expect((await openDataset('image-folder', { dataRoot: root })).train()).rejects.toThrow(
      /holds class folders \(a, b, c\), not split folders\. set trainSplit: \. and testFraction: 0\.2/,
    );
    const options = { dataRoot: root, trainSplit: '.', testFraction: 0.3 };
    const splits = await openDataset('image-folder', options);
    const [train, test] = [await splits.train(), await splits.test()];
    // 3 of each ten held out; a class of one image stays whole in training.
    expect(classCounts(test)).toEqual([3, 3, 0]);
    expect(classCounts(train)).toEqual([7, 7, 1]);
    // Each image is in exactly one part (the red channel tells them apart: class × 10 + n).
    const reds = (data: typeof train) =>
      Array.from(
        { length: data.labels.length },
        (_, i) => data.images[(i * data.images.length) / data.labels.length],
      );
    expect([...reds(train), ...reds(test)].sort((x, y) => x - y)).toEqual([
      ...Array.from({ length: 10 }, (_, n) => n),
      ...Array.from({ length: 10 }, (_, n) => 10 + n),
      20,
    ]);
    const again = await (await openDataset('image-folder', options)).test();
    expect(Array.from(again.images)).toEqual(Array.from(test.images));
  });
});
