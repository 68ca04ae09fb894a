/** Turning a `Dataset` or a `TrainData` (core's) into epochs of image batches for a VAE-GAN. */
import type * as tf from '@tensorflow/tfjs-core';
import { check, type Rng, type TrainData } from '@perturb/core';
import { batchCount, batches, type Dataset } from '@perturb/datasets';

/** What a VAE-GAN trains on: a host `Dataset` (uint8 images), or batches as the classifier trainer takes them (labels ignored). */
export type VaeGanData = Dataset | TrainData;

/** Epochs of image batches; each yielded tensor is the caller's to dispose. */
export interface ImageBatches {
  batchesPerEpoch: number;
  images(rng: Rng): Iterable<tf.Tensor4D>;
}

function isDataset(data: VaeGanData): data is Dataset {
  return 'images' in data && 'labels' in data;
}

/** Image batches of `data`; `batchSize` applies to a `Dataset` only (`TrainData` brings its own). */
export function imageBatches(data: VaeGanData, batchSize: number): ImageBatches {
  if (!isDataset(data)) {
    return {
      batchesPerEpoch: data.batchesPerEpoch,
      *images(rng) {
        for (const batch of data.batches(rng)) {
          batch.y.dispose();
          yield batch.x;
        }
      },
    };
  }
  check(data.labels.length > 0, `dataset ${data.name} is empty`, 'pass a dataset with at least one image');
  return {
    batchesPerEpoch: batchCount(data, { batchSize }),
    *images(rng) {
      for (const batch of batches(data, { batchSize, rng })) {
        batch.y.dispose();
        yield batch.x;
      }
    },
  };
}
