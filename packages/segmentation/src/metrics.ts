/**
 * Segmentation metrics from a confusion matrix: per-class IoU, mean IoU, pixel accuracy, mean
 * class accuracy and frequency-weighted IoU, with an ignore index.
 *
 * Conventions (those of mmsegmentation's `IoUMetric` and of torchmetrics' macro Jaccard index
 * when absent classes are skipped): rows of the matrix are target classes, columns predicted
 * ones; pixels whose *target* is the ignore index are not counted at all; a class whose union
 * (target ∪ prediction) is empty has IoU `NaN` and is left out of the mean IoU, so the mean is
 * over the classes present in the target or the prediction.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';

/** A label map: a tensor of class ids (any shape), a typed array or a plain array. */
export type LabelMap = tf.Tensor | ArrayLike<number>;

/** What every metric needs to know about the labels. */
export interface SegmentationMetricsOptions {
  /** Number of classes; valid labels are `0..numClasses-1`. */
  numClasses: number;
  /** Target label that marks pixels to skip (VOC borders, Cityscapes void). Default 255. */
  ignoreIndex?: number;
}

/** The scores {@link SegmentationMetrics.result} and {@link segmentationScores} return. */
export interface SegmentationScores {
  /** IoU of each class, `NaN` where the class is in neither target nor prediction. */
  perClassIoU: number[];
  /** Mean of `perClassIoU` over the classes that are not `NaN` (0 when none is). */
  meanIoU: number;
  /** Correct pixels / counted pixels (ignored ones excluded). */
  pixelAccuracy: number;
  /** Recall of each class (correct / target pixels of the class), `NaN` where the class is absent from the target. */
  perClassAccuracy: number[];
  /** Mean of `perClassAccuracy` over the classes present in the target. */
  meanAccuracy: number;
  /** Σ over classes of (target frequency × IoU). */
  frequencyWeightedIoU: number;
  /** Pixels counted (not ignored). */
  pixels: number;
  /** `confusion[target][predicted]`, pixel counts. */
  confusion: number[][];
}

function checkOptions(options: SegmentationMetricsOptions): { numClasses: number; ignoreIndex: number } {
  const { numClasses } = options;
  const ignoreIndex = options.ignoreIndex ?? 255;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new PerturbError(
      `numClasses must be a positive integer, got ${String(numClasses)}`,
      'pass the number of classes including background, e.g. { numClasses: 21 } for Pascal VOC',
    );
  }
  if (!Number.isInteger(ignoreIndex)) {
    throw new PerturbError(
      `ignoreIndex must be an integer, got ${String(ignoreIndex)}`,
      'pass the label that marks unlabelled pixels, e.g. 255',
    );
  }
  return { numClasses, ignoreIndex };
}

/**
 * The values of a label map as a plain array. A 4-D tensor whose last axis has `numClasses`
 * entries (`numClasses` > 1) is read as logits or scores `[N, H, W, C]` and arg-maxed.
 */
function labelValues(labels: LabelMap, numClasses: number): ArrayLike<number> {
  if (!(labels instanceof tf.Tensor)) return labels;
  if (labels.rank === 4 && numClasses > 1 && labels.shape[3] === numClasses) {
    return tf.tidy(() => tf.argMax(labels, 3).dataSync());
  }
  return labels.dataSync();
}

/**
 * Adds one prediction/target pair into `matrix` (`numClasses²` counts, row = target).
 * @returns the pixels counted.
 */
function accumulate(
  matrix: Float64Array,
  predicted: LabelMap,
  target: LabelMap,
  numClasses: number,
  ignoreIndex: number,
): number {
  const pred = labelValues(predicted, numClasses);
  const truth = labelValues(target, numClasses);
  if (pred.length !== truth.length) {
    throw new PerturbError(
      `the prediction has ${pred.length} pixels and the target ${truth.length}`,
      'pass label maps of the same size (predictions upsampled to the target size, or logits [N, H, W, numClasses])',
    );
  }
  let counted = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    if (t === ignoreIndex) continue;
    const p = pred[i];
    if (!(Number.isInteger(t) && t >= 0 && t < numClasses)) {
      throw new PerturbError(
        `target label ${t} at pixel ${i} is not a class in 0..${numClasses - 1} nor the ignore index ${ignoreIndex}`,
        'check numClasses and ignoreIndex, or map the dataset’s labels to train ids first',
      );
    }
    if (!(Number.isInteger(p) && p >= 0 && p < numClasses)) {
      throw new PerturbError(
        `predicted label ${p} at pixel ${i} is not a class in 0..${numClasses - 1}`,
        'pass arg-maxed class ids (or logits [N, H, W, numClasses])',
      );
    }
    matrix[t * numClasses + p]++;
    counted++;
  }
  return counted;
}

/** The confusion matrix of one prediction against its target: `matrix[target][predicted]` pixel counts. */
export function confusionMatrix(
  predicted: LabelMap,
  target: LabelMap,
  options: SegmentationMetricsOptions,
): number[][] {
  const { numClasses, ignoreIndex } = checkOptions(options);
  const matrix = new Float64Array(numClasses * numClasses);
  accumulate(matrix, predicted, target, numClasses, ignoreIndex);
  return toRows(matrix, numClasses);
}

function toRows(matrix: Float64Array, numClasses: number): number[][] {
  return Array.from({ length: numClasses }, (_, r) =>
    Array.from(matrix.subarray(r * numClasses, (r + 1) * numClasses)),
  );
}

function nanMean(values: number[]): number {
  const present = values.filter((v) => !Number.isNaN(v));
  return present.length === 0 ? 0 : present.reduce((a, b) => a + b, 0) / present.length;
}

/** Every score from a confusion matrix (`confusion[target][predicted]`). */
export function segmentationScores(confusion: readonly (readonly number[])[]): SegmentationScores {
  const numClasses = confusion.length;
  if (numClasses === 0 || confusion.some((row) => row.length !== numClasses)) {
    throw new PerturbError(
      'the confusion matrix is not square',
      'pass numClasses rows of numClasses counts, rows = target classes',
    );
  }
  const perClassIoU: number[] = [];
  const perClassAccuracy: number[] = [];
  let total = 0;
  let correct = 0;
  const targetCounts: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    let row = 0;
    let column = 0;
    for (let k = 0; k < numClasses; k++) {
      row += confusion[c][k];
      column += confusion[k][c];
    }
    const hit = confusion[c][c];
    const union = row + column - hit;
    perClassIoU.push(union === 0 ? NaN : hit / union);
    perClassAccuracy.push(row === 0 ? NaN : hit / row);
    targetCounts.push(row);
    total += row;
    correct += hit;
  }
  let frequencyWeightedIoU = 0;
  for (let c = 0; c < numClasses; c++) {
    if (targetCounts[c] > 0) frequencyWeightedIoU += (targetCounts[c] / total) * perClassIoU[c];
  }
  return {
    perClassIoU,
    meanIoU: nanMean(perClassIoU),
    pixelAccuracy: total === 0 ? 0 : correct / total,
    perClassAccuracy,
    meanAccuracy: nanMean(perClassAccuracy),
    frequencyWeightedIoU,
    pixels: total,
    confusion: confusion.map((row) => [...row]),
  };
}

/**
 * Mean IoU of one prediction (label map, or logits `[N, H, W, numClasses]`) against its target
 * label map, over the classes present in either (see the module's conventions).
 */
export function meanIoU(predicted: LabelMap, target: LabelMap, options: SegmentationMetricsOptions): number {
  return segmentationScores(confusionMatrix(predicted, target, options)).meanIoU;
}

/**
 * A streaming accumulator: `update` with each batch's prediction and target, then `result`
 * for the scores over everything seen (the confusion matrices add, so the scores are those of
 * the whole evaluation set, not a mean of per-batch scores).
 */
export class SegmentationMetrics {
  readonly numClasses: number;
  readonly ignoreIndex: number;
  private readonly matrix: Float64Array;

  constructor(options: SegmentationMetricsOptions) {
    const checked = checkOptions(options);
    this.numClasses = checked.numClasses;
    this.ignoreIndex = checked.ignoreIndex;
    this.matrix = new Float64Array(this.numClasses * this.numClasses);
  }

  /** Adds a prediction (label map or logits `[N, H, W, numClasses]`) and its target label map. */
  update(predicted: LabelMap, target: LabelMap): this {
    accumulate(this.matrix, predicted, target, this.numClasses, this.ignoreIndex);
    return this;
  }

  /** Adds another accumulator's counts (e.g. from another worker) into this one. */
  merge(other: SegmentationMetrics): this {
    if (other.numClasses !== this.numClasses) {
      throw new PerturbError(
        `cannot merge metrics over ${other.numClasses} classes into metrics over ${this.numClasses}`,
        'merge accumulators created with the same numClasses',
      );
    }
    for (let i = 0; i < this.matrix.length; i++) this.matrix[i] += other.matrix[i];
    return this;
  }

  /** The confusion matrix so far, `[target][predicted]`. */
  confusion(): number[][] {
    return toRows(this.matrix, this.numClasses);
  }

  /** The scores over every pixel seen so far. */
  result(): SegmentationScores {
    return segmentationScores(this.confusion());
  }

  /** Forgets everything seen. */
  reset(): void {
    this.matrix.fill(0);
  }
}
