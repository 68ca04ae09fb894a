/**
 * Classification metrics from scores (logits or probabilities) and labels. A `MetricTally`
 * accumulates every metric over batches in one pass; the single-batch functions below are thin
 * views of a one-batch tally, so each metric has exactly one implementation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';

/** Class indices [N] (int) or class probabilities [N, K] (one-hot or soft; the argmax is the label). */
export type Labels = tf.Tensor1D | tf.Tensor2D;

/** What the scores passed to a metric are: raw `'logits'` or `'probabilities'` (rows summing to 1). */
export type ScoreKind = 'logits' | 'probabilities';

/** Options of `MetricTally`. */
export interface MetricTallyOptions {
  /** k of the top-k accuracy. Default 5. */
  topK?: number;
  /** Equal-width confidence bins of the expected calibration error. Default 15 (as Guo et al., 2017). */
  eceBins?: number;
  /** Whether scores are logits (softmax is applied for confidences) or probabilities. Default `'logits'`. */
  scores?: ScoreKind;
}

/** Every metric of a `MetricTally`. */
export interface ClassificationMetrics {
  /** Samples counted. */
  count: number;
  /** Fraction whose argmax score is the label, in [0, 1] (NaN when `count` is 0). */
  accuracy: number;
  /** k actually used and the fraction whose label is among the k highest scores. */
  topK: { k: number; accuracy: number };
  /** `confusion[label][predicted]`: sample counts, K×K. */
  confusion: number[][];
  /** Expected calibration error in [0, 1] over `eceBins` equal-width bins of confidence. */
  ece: number;
}

/** Accumulates accuracy, top-k accuracy, the confusion matrix and ECE over batches. */
export class MetricTally {
  readonly numClasses: number;
  private readonly topK: number;
  private readonly bins: number;
  private readonly scoreKind: ScoreKind;
  private count = 0;
  private correct = 0;
  private topKCorrect = 0;
  private readonly confusion: number[][];
  private readonly binCount: Float64Array;
  private readonly binConfidence: Float64Array;
  private readonly binCorrect: Float64Array;

  constructor(numClasses: number, options: MetricTallyOptions = {}) {
    this.numClasses = numClasses;
    this.topK = options.topK ?? 5;
    this.bins = options.eceBins ?? 15;
    this.scoreKind = options.scores ?? 'logits';
    checkPositiveInteger(numClasses, 'numClasses');
    checkPositiveInteger(this.topK, 'topK');
    checkPositiveInteger(this.bins, 'eceBins');
    this.confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
    this.binCount = new Float64Array(this.bins);
    this.binConfidence = new Float64Array(this.bins);
    this.binCorrect = new Float64Array(this.bins);
  }

  /** Adds a batch of `scores` [N, K] with `labels`; reads them, does not dispose them. */
  add(scores: tf.Tensor2D, labels: Labels): void {
    const [n, k] = scores.shape;
    if (k !== this.numClasses || labels.shape[0] !== n) {
      throw new PerturbError(
        `scores of shape [${scores.shape}] do not match ${this.numClasses} classes and ${labels.shape[0]} labels`,
        'pass scores [N, numClasses] with one label per row',
      );
    }
    const values = scores.dataSync();
    const probabilities = this.scoreKind === 'logits' ? readFresh(() => tf.softmax(scores)) : values;
    const indices = labels.rank === 2 ? readFresh(() => tf.argMax(labels, 1)) : labels.dataSync();
    for (let i = 0; i < n; i++) {
      const row = values.subarray(i * k, (i + 1) * k);
      const label = indices[i];
      if (!Number.isInteger(label) || label < 0 || label >= k) {
        throw new PerturbError(
          `label ${label} is not a class index below ${k}`,
          'pass integer class indices or class probabilities',
        );
      }
      const predicted = argMax(row);
      const hit = predicted === label ? 1 : 0;
      this.count++;
      this.correct += hit;
      this.confusion[label][predicted]++;
      // Ties straddling the top-k boundary count in the label's favour, as TensorFlow's in_top_k.
      if (countAbove(row, row[label]) < this.topK) this.topKCorrect++;
      const confidence = probabilities[i * k + predicted];
      // Bin m holds confidences in (m/M, (m+1)/M]; a confidence of 0 falls into the first bin.
      const bin = Math.min(this.bins - 1, Math.max(0, Math.ceil(confidence * this.bins) - 1));
      this.binCount[bin]++;
      this.binConfidence[bin] += confidence;
      this.binCorrect[bin] += hit;
    }
  }

  /** The metrics of everything added so far. */
  result(): ClassificationMetrics {
    let ece = 0;
    for (let m = 0; m < this.bins; m++) {
      if (this.binCount[m] > 0) ece += Math.abs(this.binCorrect[m] - this.binConfidence[m]) / this.count;
    }
    return {
      count: this.count,
      accuracy: this.correct / this.count,
      topK: { k: this.topK, accuracy: this.topKCorrect / this.count },
      confusion: this.confusion.map((row) => row.slice()),
      ece: this.count > 0 ? ece : NaN,
    };
  }
}

/** One batch's metrics: the shared path of the single-metric functions. */
function tallyOf(
  scores: tf.Tensor2D,
  labels: Labels,
  options: MetricTallyOptions = {},
): ClassificationMetrics {
  const tally = new MetricTally(scores.shape[1], options);
  tally.add(scores, labels);
  return tally.result();
}

/** Fraction of rows of `scores` [N, K] whose argmax equals the label (first index wins ties). */
export function accuracy(scores: tf.Tensor2D, labels: Labels): number {
  return tallyOf(scores, labels).accuracy;
}

/** Fraction of rows whose label is among the `k` highest scores (default k = 5; ties count as hits). */
export function topKAccuracy(scores: tf.Tensor2D, labels: Labels, k = 5): number {
  return tallyOf(scores, labels, { topK: k }).topK.accuracy;
}

/** `confusion[label][predicted]` sample counts, K×K. */
export function confusionMatrix(scores: tf.Tensor2D, labels: Labels): number[][] {
  return tallyOf(scores, labels).confusion;
}

/** Options of `expectedCalibrationError`. */
export interface CalibrationOptions {
  /** Equal-width confidence bins. Default 15. */
  bins?: number;
  /** Whether `scores` are logits or probabilities. Default `'logits'`. */
  scores?: ScoreKind;
}

/**
 * Expected calibration error (Guo et al., 2017): Σₘ |Bₘ|/N · |acc(Bₘ) − conf(Bₘ)| over equal-width
 * bins of the top-class confidence.
 */
export function expectedCalibrationError(
  scores: tf.Tensor2D,
  labels: Labels,
  options: CalibrationOptions = {},
): number {
  return tallyOf(scores, labels, { eceBins: options.bins, scores: options.scores }).ece;
}

/** The values of a tensor `compute` creates, which is then disposed. */
function readFresh(compute: () => tf.Tensor): tf.TypedArray {
  const tensor = compute();
  try {
    return tensor.dataSync() as tf.TypedArray;
  } finally {
    tensor.dispose();
  }
}

function argMax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

function countAbove(row: ArrayLike<number>, value: number): number {
  let above = 0;
  for (let j = 0; j < row.length; j++) if (row[j] > value) above++;
  return above;
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new PerturbError(`${name} must be a positive integer, got ${value}`, `pass ${name} ≥ 1`);
  }
}
