/**
 * Geometric warps of a batch on the host: each sample's image, label map and boxes are moved by
 * the same warp, the image sampled bilinearly with the fill value outside, the label map by
 * nearest sampling (class ids are never blended) with its ignore index outside, the boxes by
 * sending their corners where the warp sends points (`moveBoxes`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@perturb/core';
import type { Sampling } from './auto/geometry-ops';
import type { Image } from './auto/image';
import { type PointMap, withMovedBoxes } from './boxes';

/** One sample's geometric transform, applied once to its image and once to its label map. */
export type Warp = (image: Image, sampling: Sampling) => Image;

/** What one sample's warp does to its pixels and, the same motion, to its points (boxes). */
export interface SampleWarp {
  pixels: Warp;
  points: PointMap;
}

/**
 * `batch` with sample i moved by `warpOf(i)` (called in sample order, so draws from a stream
 * inside it are made sample by sample; null leaves the sample as it is). Class labels are
 * unchanged; boxes narrower or lower than `minBoxSize` pixels once clipped are dropped.
 */
export function warpSamples(
  batch: Batch,
  warpOf: (sample: number) => SampleWarp | null,
  fill: number,
  minBoxSize: number,
): Batch {
  const [n, height, width, channels] = batch.x.shape;
  const images = Float32Array.from(batch.x.dataSync());
  const labelMap = batch.labelMap;
  const labels = labelMap ? Float32Array.from(labelMap.classes.dataSync()) : null;
  const imageSize = height * width * channels;
  const labelSize = height * width;
  const imageSampling: Sampling = { interpolation: 'bilinear', fill };
  const warps = Array.from({ length: n }, (_, i) => warpOf(i));
  warps.forEach((warp, i) => {
    if (!warp) return;
    const image = { data: images.subarray(i * imageSize, (i + 1) * imageSize), height, width, channels };
    images.set(warp.pixels(image, imageSampling).data, i * imageSize);
    if (labels && labelMap) {
      const map = { data: labels.subarray(i * labelSize, (i + 1) * labelSize), height, width, channels: 1 };
      const sampling: Sampling = { interpolation: 'nearest', fill: labelMap.ignoreIndex };
      labels.set(warp.pixels(map, sampling).data, i * labelSize);
    }
  });
  const out: Batch = {
    x: tf.tensor4d(images, batch.x.shape),
    y: batch.y,
    ...(labels && labelMap
      ? {
          labelMap: {
            classes: tf.tensor3d(Int32Array.from(labels), [n, height, width], 'int32'),
            ignoreIndex: labelMap.ignoreIndex,
          },
        }
      : {}),
  };
  return withMovedBoxes(out, batch, (i) => warps[i]?.points ?? null, minBoxSize);
}
