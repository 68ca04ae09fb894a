/**
 * The site lookup and image checks every model with named feature sites shares (the sited
 * classifiers, DeepLabV3+, Faster R-CNN), so their refusals read alike: one line naming the model,
 * what it got and what it takes.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '../errors';

/** The position of `site` in `sites` (forward order), or one line naming the sites `model` has. */
export function siteIndex(model: string, sites: readonly string[], site: string): number {
  const index = sites.indexOf(site);
  if (index < 0) {
    throw new PerturbError(
      `${model} has no feature site "${site}"`,
      `use one of ${sites.map((s) => `'${s}'`).join(', ')}`,
    );
  }
  return index;
}

/** Refuses, naming `model`, anything but NHWC images with `channels` channels. */
export function checkImageChannels(model: string, x: tf.Tensor, channels: number): void {
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new PerturbError(
      `${model} expects NHWC images with ${channels} channels but got shape [${x.shape}]`,
      `pass a [batch, height, width, ${channels}] tensor, or create the model with inChannels: ${x.shape[x.rank - 1]}`,
    );
  }
}

/**
 * Refuses NHWC images whose sides are not multiples of `multiple` (a model's coarsest stride),
 * which `what` names when given (`'its coarsest pyramid stride'`).
 */
export function checkImageSides(model: string, x: tf.Tensor4D, multiple: number, what?: string): void {
  const [, height, width] = x.shape;
  if (height % multiple !== 0 || width % multiple !== 0) {
    throw new PerturbError(
      `${model} needs image sides that are multiples of ${what ? `${what} ` : ''}${multiple}, got ${height}×${width}`,
      `pad or crop the images to a multiple of ${multiple}`,
    );
  }
}
