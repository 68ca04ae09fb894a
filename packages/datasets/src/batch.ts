/** Turning uint8 datasets into float32 training batches, one batch at a time. */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, Rng } from '@perturb/core';
import { PerturbError } from '@perturb/core';
import type { Dataset } from './dataset';
import { exampleCount, imageSize } from './dataset';
import { batchBoxes } from './objects';

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Per-channel mean and (population) standard deviation of `dataset`'s pixels in [0, 1]. */
export function channelStats(dataset: Dataset): ChannelStats {
  const { channels } = dataset.shape;
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  const { images } = dataset;
  for (let i = 0; i < images.length; i++) {
    const v = images[i] / 255;
    sum[i % channels] += v;
    sumSquares[i % channels] += v * v;
  }
  const perChannel = images.length / channels;
  const mean = Array.from(sum, (s) => s / perChannel);
  const std = Array.from(sumSquares, (s, c) => Math.sqrt(Math.max(s / perChannel - mean[c] ** 2, 0)));
  return { mean, std };
}

/**
 * The dense target a batch carries besides its class labels: a segmentation dataset's label
 * maps, a detection dataset's boxes, or none (class labels only).
 */
export type BatchTarget = 'labelMap' | 'boxes' | 'none';

/** How to turn examples into a batch. */
export interface ToBatchOptions {
  /**
   * The dense target the batch carries, e.g. what the model's task trains on (`'boxes'` for a
   * detector). Default: the label maps when the dataset has them, else its boxes when it has
   * them, else none. A dataset with both (Fashion-MNIST scenes) serves a segmenter and a detector.
   */
  readonly target?: BatchTarget;
  /**
   * Standardize each channel as `(x − mean) / std` (with x in [0, 1]); compute the statistics on
   * the training set with `channelStats` and pass the same ones for every split. Default: none,
   * so images stay in [0, 1].
   */
  readonly normalize?: ChannelStats;
}

function checkStats(stats: ChannelStats, channels: number): void {
  if (stats.mean.length !== channels || stats.std.length !== channels || stats.std.some((s) => !(s > 0))) {
    throw new PerturbError(
      `normalization needs ${channels} means and ${channels} positive standard deviations, got mean [${stats.mean.join(', ')}] and std [${stats.std.join(', ')}]`,
      'Compute them with channelStats(trainingSet)',
    );
  }
}

/** The target `options` ask of `dataset`, checked against what it has. */
function targetOf(dataset: Dataset, requested: BatchTarget | undefined): BatchTarget {
  const target = requested ?? (dataset.labelMaps ? 'labelMap' : dataset.boxes ? 'boxes' : 'none');
  if (target === 'labelMap' && !dataset.labelMaps) {
    throw new PerturbError(
      `batches of label maps were asked of ${dataset.name}, which has none`,
      'use a segmentation dataset (perturb list datasets)',
    );
  }
  if (target === 'boxes' && !dataset.boxes) {
    throw new PerturbError(
      `batches of object boxes were asked of ${dataset.name}, which has none`,
      'use a detection dataset (perturb list datasets)',
    );
  }
  return target;
}

/**
 * The examples at `indices` (default: all) as a batch: `x` float32 NHWC in [0, 1] (or normalized),
 * `y` one-hot float32 and the dense target `options.target` picks: `labelMap` int32 `[N, H, W]`
 * or `boxes` (padded, crowd and difficult objects left out; see `BatchBoxes` of
 * `@perturb/core`). The caller owns (and disposes) the tensors.
 */
export function toBatch(dataset: Dataset, indices?: ArrayLike<number>, options: ToBatchOptions = {}): Batch {
  const { height, width, channels } = dataset.shape;
  const size = imageSize(dataset.shape);
  const count = indices ? indices.length : exampleCount(dataset);
  const { normalize } = options;
  if (normalize) checkStats(normalize, channels);
  const target = targetOf(dataset, options.target);
  const scale = Array.from({ length: channels }, (_, c) =>
    normalize ? 1 / (255 * normalize.std[c]) : 1 / 255,
  );
  const shift = Array.from({ length: channels }, (_, c) =>
    normalize ? -normalize.mean[c] / normalize.std[c] : 0,
  );
  const x = new Float32Array(count * size);
  const y = new Float32Array(count * dataset.numClasses);
  for (let n = 0; n < count; n++) {
    const index = indices ? indices[n] : n;
    if (!(index >= 0 && index < exampleCount(dataset))) {
      throw new PerturbError(
        `example index ${index} is outside ${dataset.name}'s ${exampleCount(dataset)} examples`,
        'Pass valid indices',
      );
    }
    const from = index * size;
    for (let i = 0; i < size; i++) {
      const c = i % channels;
      x[n * size + i] = dataset.images[from + i] * scale[c] + shift[c];
    }
    y[n * dataset.numClasses + dataset.labels[index]] = 1;
  }
  const all = indices ?? Int32Array.from({ length: count }, (_, i) => i);
  return {
    x: tf.tensor4d(x, [count, height, width, channels], 'float32'),
    y: tf.tensor2d(y, [count, dataset.numClasses], 'float32'),
    ...(target === 'labelMap' ? { labelMap: labelMapOf(dataset, dataset.labelMaps!, all) } : {}),
    ...(target === 'boxes' ? { boxes: batchBoxes(dataset.boxes!, all) } : {}),
  };
}

function labelMapOf(
  dataset: Dataset,
  maps: NonNullable<Dataset['labelMaps']>,
  indices: ArrayLike<number>,
): NonNullable<Batch['labelMap']> {
  const { height, width } = dataset.shape;
  const area = height * width;
  const count = indices.length;
  const classes = new Int32Array(count * area);
  for (let n = 0; n < count; n++) {
    const index = indices[n];
    classes.set(maps.classes.subarray(index * area, (index + 1) * area), n * area);
  }
  return { classes: tf.tensor3d(classes, [count, height, width], 'int32'), ignoreIndex: maps.ignoreIndex };
}

/** How to cut a dataset into batches for one epoch. */
export interface BatchesOptions extends ToBatchOptions {
  /** Examples per batch. */
  readonly batchSize: number;
  /** Draws the epoch's order when shuffling. Required unless `shuffle` is false. */
  readonly rng?: Rng;
  /** Visit examples in a random order. Default `true`. */
  readonly shuffle?: boolean;
  /** Skip a last batch smaller than `batchSize`. Default `false`. */
  readonly dropLast?: boolean;
}

/** Number of batches `batches(dataset, options)` yields. */
export function batchCount(
  dataset: Dataset,
  options: Pick<BatchesOptions, 'batchSize' | 'dropLast'>,
): number {
  const count = exampleCount(dataset);
  return options.dropLast ? Math.floor(count / options.batchSize) : Math.ceil(count / options.batchSize);
}

/**
 * One epoch of batches over `dataset`, built lazily, one at a time. Each batch's tensors belong to
 * the caller. The order comes from `options.rng`, so the same seed gives the same epochs.
 */
export function* batches(dataset: Dataset, options: BatchesOptions): Generator<Batch, void, undefined> {
  const { batchSize, rng, shuffle = true } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new PerturbError(
      `batch size ${batchSize} is not a positive integer`,
      'Pass a batchSize such as 128',
    );
  }
  if (shuffle && !rng)
    throw new PerturbError(
      'shuffled batches need an rng',
      'Pass { rng } (a seeded Rng), or { shuffle: false }',
    );
  const count = exampleCount(dataset);
  const order = shuffle ? rng!.permutation(count) : Int32Array.from({ length: count }, (_, i) => i);
  const total = batchCount(dataset, options);
  for (let b = 0; b < total; b++) {
    yield toBatch(dataset, order.subarray(b * batchSize, Math.min((b + 1) * batchSize, count)), options);
  }
}
