/**
 * Semantic segmentation as a task of core's plugin contract: logits `[N, H, W, classes]` scored
 * against the batch's label map, so the trainer, every PGD attack and A-FAN/L-ALFA train and
 * attack a DeepLabV3+ exactly as they do a classifier.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, PerturbError, type Task, requireLabelMap } from '@perturb/core';
import { SegmentationMetrics } from './metrics';

const WHO = 'a segmentation model';

/**
 * The task of a segmentation model over `numClasses` classes: per-pixel cross-entropy with the
 * batch's ignore index (as PyTorch's `ignore_index`), the argmax label map as predicted targets,
 * pixel accuracy as the accuracy, and mIoU, frequency-weighted IoU, mean class accuracy and
 * per-class IoU from one confusion matrix over the evaluation.
 */
export function segmentationTask(numClasses: number): Task {
  return {
    kind: 'segmentation',
    loss: (logits, batch) => {
      const { classes, ignoreIndex } = requireLabelMap(batch, WHO);
      return segmentationCrossEntropy(logits as tf.Tensor4D, classes, { ignoreIndex });
    },
    predictedTargets: (logits, batch): Batch => {
      const { ignoreIndex } = requireLabelMap(batch, WHO);
      const classes = tf.tidy(() => tf.cast(tf.argMax(logits as tf.Tensor4D, 3), 'int32') as tf.Tensor3D);
      return { x: batch.x, y: tf.clone(batch.y), labelMap: { classes, ignoreIndex } };
    },
    countCorrect: (logits, batch) => {
      const { classes, ignoreIndex } = requireLabelMap(batch, WHO);
      return tf.tidy(() => {
        const labelled = tf.notEqual(classes, tf.scalar(ignoreIndex, 'int32'));
        const right = tf.logicalAnd(
          labelled,
          tf.equal(tf.cast(tf.argMax(logits as tf.Tensor4D, 3), 'int32'), classes),
        );
        const count = (t: tf.Tensor) => tf.sum(tf.cast(t, 'int32')).dataSync()[0];
        return { correct: count(right), count: count(labelled) };
      });
    },
    evaluation: () => {
      let metrics: SegmentationMetrics | null = null;
      return {
        add: (logits, batch) => {
          const { classes, ignoreIndex } = requireLabelMap(batch, WHO);
          metrics ??= new SegmentationMetrics({ numClasses, ignoreIndex });
          metrics.update(logits as tf.Tensor4D, classes);
        },
        result: () => {
          const scores = (metrics ?? new SegmentationMetrics({ numClasses })).result();
          return {
            meanIoU: scores.meanIoU,
            pixelAccuracy: scores.pixelAccuracy,
            meanAccuracy: scores.meanAccuracy,
            frequencyWeightedIoU: scores.frequencyWeightedIoU,
            perClassIoU: scores.perClassIoU,
          };
        },
      };
    },
  };
}

/** Options of {@link segmentationCrossEntropy}. */
export interface SegmentationLossOptions {
  /** Label of pixels left out of the loss. Default 255. */
  ignoreIndex?: number;
}

/**
 * Mean cross-entropy over the pixels whose label is not `ignoreIndex` (0 when every pixel is
 * ignored), as PyTorch's `cross_entropy(…, ignore_index=255)`. `logits` `[N, H, W, C]`,
 * `labels` `[N, H, W]` class ids.
 */
export function segmentationCrossEntropy(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: SegmentationLossOptions = {},
): tf.Scalar {
  const ignoreIndex = options.ignoreIndex ?? 255;
  const [n, h, w, c] = logits.shape;
  if (labels.rank !== 3 || labels.shape[0] !== n || labels.shape[1] !== h || labels.shape[2] !== w) {
    throw new PerturbError(
      `labels of shape [${labels.shape}] do not match logits of shape [${logits.shape}]`,
      `pass labels [${n}, ${h}, ${w}] of class ids, at the logits' resolution`,
    );
  }
  return tf.tidy(() => {
    const ids = tf.cast(labels, 'int32');
    const valid = tf.notEqual(ids, tf.scalar(ignoreIndex, 'int32'));
    const safe = tf.where(valid, ids, tf.zerosLike(ids));
    const target = tf.mul(tf.oneHot(tf.reshape(safe, [-1]), c), tf.reshape(tf.cast(valid, 'int32'), [-1, 1]));
    const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, c]));
    const total = tf.neg(tf.sum(tf.mul(tf.cast(target, 'float32'), logProbs)));
    const count = tf.maximum(tf.sum(tf.cast(valid, 'float32')), tf.scalar(1));
    return tf.div(total, count) as tf.Scalar;
  });
}
