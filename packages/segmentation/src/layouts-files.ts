/** VOC 2012 and Cityscapes segmentation folders as sources of samples (Node: they read files). */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import {
  type LabelImage,
  type RgbImage,
  decodeJpeg,
  decodeLabelPng,
  decodePngImage,
} from '@perturb/datasets';
import {
  CITYSCAPES_CLASSES,
  IGNORE_INDEX,
  type SegmentationSample,
  type SegmentationSource,
  VOC_CLASSES,
  cityscapesTrainIdTable,
} from './layouts';

function readBytes(file: string, fix: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new PerturbError(`${file} is missing`, fix);
    if (code === 'EISDIR') throw new PerturbError(`${file} is a folder, not a file`, fix);
    throw new PerturbError(`${file} cannot be read (${code ?? String(error)})`, 'check its permissions');
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkSameSize(id: string, image: RgbImage, labels: LabelImage, labelFile: string): void {
  if (image.width !== labels.width || image.height !== labels.height) {
    throw new PerturbError(
      `${labelFile} is ${labels.width}×${labels.height} but its image ${id} is ${image.width}×${image.height}`,
      'use the label map that belongs to this image (download the dataset again if they were mixed up)',
    );
  }
}

function checkIndex(index: number, count: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new PerturbError(
      `sample ${index} is outside ${what}, which has ${count}`,
      `pass an index in 0..${count - 1}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Pascal VOC 2012

/** Options of {@link openVoc}. */
export interface VocOptions {
  /** A split listed in `ImageSets/Segmentation/` (`train`, `val`, `trainval`). Default `'train'`. */
  split?: string;
}

/** Accepts the VOC2012 folder itself or a folder above it (`VOCdevkit/`, or the folder holding `VOCdevkit/`). */
function vocRoot(root: string): string {
  for (const candidate of [root, join(root, 'VOC2012'), join(root, 'VOCdevkit', 'VOC2012')]) {
    if (existsSync(join(candidate, 'ImageSets', 'Segmentation'))) return candidate;
  }
  throw new PerturbError(
    `${root} holds no Pascal VOC 2012 layout (no ImageSets/Segmentation/ in it, VOC2012/ or VOCdevkit/VOC2012/)`,
    'extract VOCtrainval_11-May-2012.tar and pass the path of VOCdevkit/VOC2012',
  );
}

/**
 * Opens a split of Pascal VOC 2012 segmentation: `ImageSets/Segmentation/{split}.txt` lists the
 * ids, `JPEGImages/{id}.jpg` the images, `SegmentationClass/{id}.png` the palette PNGs whose
 * indices are the class ids (0 = background, 1..20, 255 = border/ignore).
 */
export function openVoc(root: string, options: VocOptions = {}): SegmentationSource {
  const dir = vocRoot(root);
  const split = options.split ?? 'train';
  const listFile = join(dir, 'ImageSets', 'Segmentation', `${split}.txt`);
  const available = readdirSync(join(dir, 'ImageSets', 'Segmentation'))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4));
  const list = readBytes(
    listFile,
    `pass one of the splits in ${join(dir, 'ImageSets', 'Segmentation')}: ${available.join(', ') || 'none'}`,
  );
  const ids = new TextDecoder()
    .decode(list)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (ids.length === 0) {
    throw new PerturbError(
      `${listFile} lists no images`,
      'download the dataset again: the split file is empty',
    );
  }
  for (const sub of ['JPEGImages', 'SegmentationClass']) {
    if (!existsSync(join(dir, sub))) {
      throw new PerturbError(
        `${join(dir, sub)} is missing`,
        'extract the whole VOCtrainval_11-May-2012.tar (it has JPEGImages/ and SegmentationClass/)',
      );
    }
  }
  const fix =
    'download VOCtrainval_11-May-2012.tar again and extract it whole: the file is listed in the split';
  return {
    name: 'voc2012',
    split,
    ids,
    numClasses: VOC_CLASSES.length,
    classNames: VOC_CLASSES,
    ignoreIndex: IGNORE_INDEX,
    read(index: number): SegmentationSample {
      checkIndex(index, ids.length, `VOC ${split}`);
      const id = ids[index];
      const imageFile = join(dir, 'JPEGImages', `${id}.jpg`);
      const labelFile = join(dir, 'SegmentationClass', `${id}.png`);
      const image = decodeJpeg(readBytes(imageFile, fix), imageFile);
      const labels = decodeLabelPng(readBytes(labelFile, fix), labelFile);
      checkSameSize(id, image, labels, labelFile);
      for (let i = 0; i < labels.data.length; i++) {
        const v = labels.data[i];
        if (v >= VOC_CLASSES.length && v !== IGNORE_INDEX) {
          throw new PerturbError(
            `${labelFile} has class id ${v} at pixel ${i}; VOC ids are 0..20 and 255`,
            'use the original SegmentationClass PNGs (palette indices), not SegmentationObject or recoloured ones',
          );
        }
      }
      return { id, image, labels };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Cityscapes

/** Options of {@link openCityscapes}. */
export interface CityscapesOptions {
  /** `train`, `val` or `test`. Default `'train'`. */
  split?: string;
}

const IMAGE_SUFFIX = '_leftImg8bit.png';
const LABEL_SUFFIX = '_gtFine_labelIds.png';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens a split of Cityscapes fine annotations: images `leftImg8bit/{split}/{city}/
 * {city}_{seq}_{frame}_leftImg8bit.png`, labels `gtFine/{split}/{city}/…_gtFine_labelIds.png`
 * (label ids, mapped to the 19 train ids with {@link CITYSCAPES_TRAIN_IDS}; other ids → 255).
 * Samples are sorted by city, then name.
 */
export function openCityscapes(root: string, options: CityscapesOptions = {}): SegmentationSource {
  const split = options.split ?? 'train';
  const imageDir = join(root, 'leftImg8bit', split);
  const labelDir = join(root, 'gtFine', split);
  const download =
    'download leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip and extract both into one folder';
  if (!isDirectory(imageDir)) {
    const splits = isDirectory(join(root, 'leftImg8bit')) ? readdirSync(join(root, 'leftImg8bit')) : [];
    throw new PerturbError(
      `${imageDir} is missing`,
      splits.length > 0 ? `pass one of the splits there: ${splits.join(', ')}` : download,
    );
  }
  if (!isDirectory(labelDir)) throw new PerturbError(`${labelDir} is missing`, download);
  const ids: string[] = [];
  const cities = readdirSync(imageDir)
    .filter((city) => isDirectory(join(imageDir, city)))
    .sort();
  for (const city of cities) {
    for (const file of readdirSync(join(imageDir, city)).sort()) {
      if (file.endsWith(IMAGE_SUFFIX)) ids.push(`${city}/${file.slice(0, -IMAGE_SUFFIX.length)}`);
    }
  }
  if (ids.length === 0) {
    throw new PerturbError(`${imageDir} holds no *${IMAGE_SUFFIX} images in city folders`, download);
  }
  const table = cityscapesTrainIdTable();
  return {
    name: 'cityscapes',
    split,
    ids: ids.map((id) => id.split('/')[1]),
    numClasses: CITYSCAPES_CLASSES.length,
    classNames: CITYSCAPES_CLASSES,
    ignoreIndex: IGNORE_INDEX,
    read(index: number): SegmentationSample {
      checkIndex(index, ids.length, `Cityscapes ${split}`);
      const [city, name] = ids[index].split('/');
      const imageFile = join(imageDir, city, `${name}${IMAGE_SUFFIX}`);
      const labelFile = join(labelDir, city, `${name}${LABEL_SUFFIX}`);
      const fix = `extract gtFine_trainvaltest.zip into ${root} (each image needs its ${LABEL_SUFFIX})`;
      const image = decodePngImage(readBytes(imageFile, download), imageFile);
      const labelIds = decodeLabelPng(readBytes(labelFile, fix), labelFile);
      checkSameSize(name, image, labelIds, labelFile);
      const data = new Uint8Array(labelIds.data.length);
      for (let i = 0; i < data.length; i++) data[i] = table[labelIds.data[i]];
      return { id: name, image, labels: { width: labelIds.width, height: labelIds.height, data } };
    },
  };
}
