/**
 * A folder of one's own photos as a dataset, laid out as torchvision's `ImageFolder` reads it:
 * `folder/<class>/<image>.png|jpg|jpeg`. Node only: it lists and reads files.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError, Rng } from '@perturb/core';
import { type PhotoChannels, convertChannels } from './channels';
import { type RgbImage, decodeImage } from './codecs';
import type { Dataset } from './dataset';
import { readDataFile } from './files';
import { resizeAndCenterCrop } from './resample';
import { stratifiedIndices } from './subset';

/** How `readImageFolder` reads a folder. */
export interface ImageFolderOptions {
  /**
   * The class names, ids in this order; each is a subfolder (one may be absent: a test split
   * need not hold every class). Default: the folder's own class folders, sorted, as torchvision
   * names them. Give a test split its training split's classes, so the ids agree.
   */
  readonly classes?: readonly string[];
  /**
   * Resize the shorter side to `size` (antialiased bilinear), then keep the centred
   * `size × size` square: torchvision's `Resize(size)` + `CenterCrop(size)`. Default: none,
   * and every image must then have one height × width.
   */
  readonly size?: number;
  /** 1: gray (RGB images by luma); 3: RGB (gray images repeated). Default 3. */
  readonly channels?: PhotoChannels;
  /**
   * Divide each class's images in two and read one part: a shuffle of the class's files, seeded
   * by its name alone (so every run, and both parts, see the same division), whose first
   * `fraction` (at least one image, and never all of a class with two or more) is held out.
   * `take: 'held-out'` reads those, `'rest'` the others: a test split from a folder that has none.
   * Default: every image.
   */
  readonly holdOut?: { readonly fraction: number; readonly take: 'held-out' | 'rest' };
  /** Read only a class-balanced subset of this many images (the first of each class by name). Default: all. */
  readonly subsetSize?: number;
  /** The dataset's display name. Default `image-folder`. */
  readonly name?: string;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;
const LAYOUT = 'folder/<class>/<image>.png (or .jpg, .jpeg)';

/**
 * The image files of `dir` (`.png`, `.jpg`, `.jpeg`, any case), sorted by name, as paths under
 * `dir`: hidden files and subfolders are left out. What is read of each class folder.
 */
export function imageFiles(dir: string): string[] {
  return entries(dir, (path, file) => IMAGE_FILE.test(file) && !isFolder(path)).map((file) =>
    join(dir, file),
  );
}

/** Whether `dir` holds image files itself (a class folder, not a folder of class folders). */
export function holdsImages(dir: string): boolean {
  return imageFiles(dir).length > 0;
}

/** Sorted names of the entries of `dir` that pass `keep`, hidden ones (`.DS_Store`, `.ipynb_checkpoints`) left out. */
function entries(dir: string, keep: (path: string, name: string) => boolean): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && keep(join(dir, name), name))
    .sort();
}

const isFolder = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

/** The sorted subfolders of `dir` (the splits of a dataset root, the classes of a split). */
export function subfolders(dir: string): string[] {
  return entries(dir, isFolder);
}

/**
 * The class folders of `folder`, sorted (torchvision's class ids). Refuses a folder that does
 * not exist or holds no class folder, in one line naming the layout expected.
 */
export function imageFolderClasses(folder: string): string[] {
  if (!isFolder(folder)) {
    throw new PerturbError(
      `image folder ${folder} does not exist`,
      `point to a folder laid out as ${LAYOUT}`,
    );
  }
  const classes = subfolders(folder);
  if (classes.length === 0) {
    throw new PerturbError(
      `image folder ${folder} holds no class folders`,
      `put each class's images in a subfolder named after it: ${LAYOUT}`,
    );
  }
  return classes;
}

/** Every image file of `folder` with its class id, classes in id order and files by name within each. */
function listImages(folder: string, classes: readonly string[]): { files: string[]; labels: number[] } {
  const own = imageFolderClasses(folder);
  const stranger = own.find((name) => !classes.includes(name));
  if (stranger !== undefined) {
    throw new PerturbError(
      `${join(folder, stranger)} is a class folder, but "${stranger}" is not one of the training classes (${classes.join(', ')})`,
      `rename or remove it, or give the training split a folder "${stranger}" too`,
    );
  }
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((name, id) => {
    const dir = join(folder, name);
    if (!own.includes(name)) return;
    const images = imageFiles(dir);
    if (images.length === 0) {
      throw new PerturbError(
        `class folder ${dir} holds no .png, .jpg or .jpeg images`,
        'add its images, or remove the folder',
      );
    }
    for (const image of images) {
      files.push(image);
      labels.push(id);
    }
  });
  return { files, labels };
}

/** The positions of `labels` in the part of each class `holdOut` takes, in their order. */
function heldOutPositions(
  labels: number[],
  classes: readonly string[],
  holdOut: NonNullable<ImageFolderOptions['holdOut']>,
): number[] {
  // Each class's positions, gathered in one pass over the labels.
  const members: number[][] = classes.map(() => []);
  labels.forEach((label, i) => members[label].push(i));
  const wanted = holdOut.take === 'held-out' ? 1 : 0;
  const kept: number[] = [];
  members.forEach((positions, id) => {
    const n = positions.length;
    const held = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * holdOut.fraction)));
    const order = new Rng(0).child(classes[id]).permutation(n);
    const isHeld = new Uint8Array(n);
    for (let k = 0; k < held; k++) isHeld[order[k]] = 1;
    positions.forEach((position, k) => isHeld[k] === wanted && kept.push(position));
  });
  return kept.sort((a, b) => a - b);
}

/**
 * The positions of the class-balanced subset of `subsetSize` images, chosen from the labels
 * alone, so only the chosen images are decoded (the same choice `stratifiedSubset` makes).
 */
function subsetPositions(labels: number[], numClasses: number, name: string, subsetSize?: number): number[] {
  if (subsetSize === undefined) return labels.map((_, i) => i);
  const labelsOnly: Dataset = {
    name,
    images: new Uint8Array(0),
    labels: Int32Array.from(labels),
    shape: { height: 0, width: 0, channels: 0 },
    numClasses,
    classNames: [],
  };
  return Array.from(stratifiedIndices(labelsOnly, { size: subsetSize }));
}

/** One decoded photo at its dataset's channels and, with `size`, resized and cropped. */
function prepare(image: RgbImage, channels: PhotoChannels, size: number | undefined): RgbImage['data'] {
  const pixels = convertChannels(image.data, channels);
  return size === undefined ? pixels : resizeAndCenterCrop(pixels, image.height, image.width, channels, size);
}

/**
 * Reads a folder of photos, `folder/<class>/<image>.png|jpg|jpeg`, as torchvision's
 * `ImageFolder` does: classes are the subfolders sorted by name (or `options.classes`), files are
 * taken in name order, hidden files and other extensions are skipped. PNGs of any kind (gray,
 * RGB, alpha, which is dropped, 16-bit, palette) and JPEGs decode to 8-bit RGB, then become
 * `channels` channels and, with `size`, `size × size` squares. Every problem — a missing or empty
 * folder, an unreadable image, images of two sizes without `size` — is one `PerturbError` line
 * naming the file and the fix.
 */
export function readImageFolder(folder: string, options: ImageFolderOptions = {}): Dataset {
  const { size, channels = 3, name = 'image-folder' } = options;
  const classes = options.classes ?? imageFolderClasses(folder);
  const all = listImages(folder, classes);
  const part = options.holdOut && heldOutPositions(all.labels, classes, options.holdOut);
  const listed = part
    ? { files: part.map((i) => all.files[i]), labels: part.map((i) => all.labels[i]) }
    : all;
  if (listed.files.length === 0) {
    throw new PerturbError(
      `the held-out part of ${folder} is empty: every class has fewer than two images`,
      'add images, or give the test images a folder of their own',
    );
  }
  const chosen = subsetPositions(listed.labels, classes.length, name, options.subsetSize);
  let first: { file: string; height: number; width: number } | undefined;
  const pixels = chosen.map((i) => {
    const file = listed.files[i];
    const image = decodeImage(readDataFile(file), file);
    first ??= { file, height: image.height, width: image.width };
    if (size === undefined && (image.height !== first.height || image.width !== first.width)) {
      const side = Math.min(first.height, first.width, image.height, image.width);
      throw new PerturbError(
        `${first.file} is ${first.height}×${first.width} but ${file} is ${image.height}×${image.width}`,
        `set size: ${side} to resize every image's shorter side to ${side} and centre-crop it square`,
      );
    }
    return prepare(image, channels, size);
  });
  const images = new Uint8Array(pixels.reduce((total, p) => total + p.length, 0));
  pixels.reduce((offset, p) => (images.set(p, offset), offset + p.length), 0);
  const labels = chosen.map((i) => listed.labels[i]);
  return {
    name,
    images,
    labels: classes.length <= 256 ? Uint8Array.from(labels) : Int32Array.from(labels),
    shape: { height: size ?? first!.height, width: size ?? first!.width, channels },
    numClasses: classes.length,
    classNames: [...classes],
  };
}
