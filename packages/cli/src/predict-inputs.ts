/**
 * The photos `perturb predict` is given, read and brought to a model's input exactly as its
 * training data was: the files named and the image files of the folders named, decoded (PNG or
 * JPEG, told by signature), converted to the model's channels, resized to its square (or to the
 * size its data was padded from, then padded alike), and scaled to [0, 1] by the datasets' own
 * batching.
 */
import { readFileSync, statSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import {
  type Dataset,
  type ImageShape,
  type PhotoChannels,
  type RgbImage,
  convertChannels,
  decodeImage,
  padDataset,
  resizeAndCenterCrop,
  resizeImage,
  toBatch,
} from '@perturb/datasets';
import { imageFiles } from '@perturb/datasets/node';
import type { ModelData } from './task-data';

/**
 * How a photo becomes the model's square: `'crop'`, the shorter side resized and the centre
 * kept (torchvision's Resize + CenterCrop, as image folders are read for classification);
 * `'squeeze'`, the whole photo resized to the square (as the VOC, Cityscapes and COCO readers
 * prepare segmentation and detection data, so every pixel gets a prediction).
 */
export type Fit = 'crop' | 'squeeze';

/**
 * The image files `inputs` name, in their order: a file itself (whatever its extension: it is
 * told by its contents when read), a folder's `.png`/`.jpg`/`.jpeg` files sorted by name,
 * hidden files and others skipped, as image folders are read. Refuses, in one line, an input
 * that does not exist, a folder without images, and no inputs at all.
 */
export function inputFiles(inputs: readonly string[]): string[] {
  if (inputs.length === 0) {
    throw new PerturbError('no images to predict', 'name image files (PNG, JPEG) or folders of them');
  }
  return inputs.flatMap((input) => {
    const stats = statSync(input, { throwIfNoEntry: false });
    if (!stats) {
      throw new PerturbError(`${input} does not exist`, 'name image files (PNG, JPEG) or folders of them');
    }
    if (!stats.isDirectory()) return [input];
    const files = imageFiles(input);
    if (files.length === 0) {
      throw new PerturbError(
        `folder ${input} holds no .png, .jpg or .jpeg images`,
        'name a folder of images, or the image files themselves',
      );
    }
    return files;
  });
}

/** A photo as decoded, RGB at its own size; a file that is not a readable PNG or JPEG is one line naming it. */
export function readPhoto(file: string): RgbImage {
  return decodeImage(readFileSync(file), file);
}

/**
 * Where a photo goes in the model's input: a `side × side` square at row `top`, column `left`
 * of the model's square, the rest zeros — all of it, or where a padded dataset's images were
 * centred (Fashion-MNIST's 28 × 28 in 32 × 32).
 */
export interface Frame {
  side: number;
  top: number;
  left: number;
}

/**
 * The {@link Frame} of the images `data` describes. Refuses, in one line naming `model`, images
 * photos cannot become: not square, or neither gray nor RGB.
 */
export function photoFrame(data: ModelData, model: string): Frame {
  const { height, width, channels } = data.shape;
  const own = data.unpadded ?? { height, width };
  if (height !== width || own.height !== own.width || (channels !== 1 && channels !== 3)) {
    throw new PerturbError(
      `model ${model} takes ${own.height}×${own.width}×${channels} images${data.unpadded ? ` padded to ${height}×${width}` : ''}, but photos are brought only to square gray or RGB inputs`,
      'predict with a model trained on square images of 1 or 3 channels',
    );
  }
  // Centred as padDataset centres them (an odd margin's extra pixel at the bottom/right).
  return {
    side: own.height,
    top: Math.floor((height - own.height) / 2),
    left: Math.floor((width - own.width) / 2),
  };
}

/** `photo`'s pixels for the model: its `channels` (BT.601 luma for gray), then its frame's square by `fit`. */
export function modelPixels(photo: RgbImage, channels: number, frame: Frame, fit: Fit): Uint8Array {
  const { height, width } = photo;
  const pixels = convertChannels(photo.data, channels as PhotoChannels);
  return fit === 'crop'
    ? resizeAndCenterCrop(pixels, height, width, channels, frame.side)
    : resizeImage(pixels, height, width, channels, frame.side);
}

/**
 * Photos prepared by {@link modelPixels} as one float32 NHWC batch of `shape`: padded and scaled
 * by the datasets' own `padDataset` and `toBatch` (what the run's training images went through).
 * The caller disposes it.
 */
export function photoBatch(pixels: readonly Uint8Array[], shape: ImageShape, frame: Frame): tf.Tensor4D {
  const images = new Uint8Array(pixels.reduce((total, p) => total + p.length, 0));
  pixels.reduce((offset, p) => (images.set(p, offset), offset + p.length), 0);
  const photos: Dataset = {
    name: 'photos',
    images,
    labels: new Uint8Array(pixels.length),
    shape: { height: frame.side, width: frame.side, channels: shape.channels },
    numClasses: 1,
    classNames: ['photo'],
  };
  const { x, y } = toBatch(padDataset(photos, shape.height), undefined, { target: 'none' });
  y.dispose();
  return x;
}
