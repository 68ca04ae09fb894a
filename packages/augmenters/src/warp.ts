/**
 * Geometric warps of a batch on the host: each sample's image and label map are moved by the
 * same warp, the image sampled bilinearly with the fill value outside, the label map by nearest
 * sampling (class ids are never blended) with its ignore index outside.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@perturb/core';
import type { Sampling } from './auto/geometry-ops';
import type { Image } from './auto/image';

/** One sample's geometric transform, applied once to its image and once to its label map. */
export type Warp = (image: Image, sampling: Sampling) => Image;

/**
 * `batch` with sample i moved by `warpOf(i)` (called in sample order, so draws from a stream
 * inside it are made sample by sample; null leaves the sample as it is). Class labels are
 * unchanged.
 */
export function warpSamples(batch: Batch, warpOf: (sample: number) => Warp | null, fill: number): Batch {
  const [n, height, width, channels] = batch.x.shape;
  const images = Float32Array.from(batch.x.dataSync());
  const labelMap = batch.labelMap;
  const labels = labelMap ? Float32Array.from(labelMap.classes.dataSync()) : null;
  const imageSize = height * width * channels;
  const labelSize = height * width;
  const imageSampling: Sampling = { interpolation: 'bilinear', fill };
  for (let i = 0; i < n; i++) {
    const warp = warpOf(i);
    if (!warp) continue;
    const image = { data: images.subarray(i * imageSize, (i + 1) * imageSize), height, width, channels };
    images.set(warp(image, imageSampling).data, i * imageSize);
    if (labels && labelMap) {
      const map = { data: labels.subarray(i * labelSize, (i + 1) * labelSize), height, width, channels: 1 };
      labels.set(warp(map, { interpolation: 'nearest', fill: labelMap.ignoreIndex }).data, i * labelSize);
    }
  }
  return {
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
}
