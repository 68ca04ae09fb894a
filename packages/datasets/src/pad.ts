/** Zero-padding images to a larger size, e.g. 28×28 → 32×32 for CIFAR-style networks. */
import { PerturbError } from '@perturb/core';
import type { Dataset } from './dataset';
import { exampleCount, imageSize } from './dataset';

/**
 * A copy of `dataset` with every image centred on a `size`×`size` zero canvas (an odd margin puts
 * the extra pixel at the bottom/right), recording the images' own size as `unpadded`. Returns
 * `dataset` itself when it already has that size.
 */
export function padDataset(dataset: Dataset, size: number): Dataset {
  const { height, width, channels } = dataset.shape;
  if (size === height && size === width) return dataset;
  if (!Number.isInteger(size) || size < height || size < width) {
    throw new PerturbError(
      `cannot pad ${height}×${width} images of ${dataset.name} to ${size}×${size}`,
      `Pass a size of at least ${Math.max(height, width)}`,
    );
  }
  const shape = { height: size, width: size, channels };
  const top = Math.floor((size - height) / 2);
  const left = Math.floor((size - width) / 2);
  const count = exampleCount(dataset);
  const images = new Uint8Array(count * imageSize(shape));
  const row = width * channels;
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < height; y++) {
      const from = (n * height + y) * row;
      images.set(dataset.images.subarray(from, from + row), ((n * size + top + y) * size + left) * channels);
    }
  }
  // Padded twice, the images' own size is still the first one.
  return { ...dataset, images, shape, unpadded: dataset.unpadded ?? { height, width } };
}
