import * as tf from '@tensorflow/tfjs-core';
import {
  type Batch,
  type EvaluationContext,
  type Model,
  type TaskScores,
  batchTensors,
  taskOf,
} from '@perturb/core';

/** A model's mean loss and accuracy over a set of batches. */
export interface EvalResult {
  /** Mean loss per example (the task's: cross-entropy, per-pixel for dense models; NaN when there were no examples). */
  loss: number;
  /**
   * Fraction correct in [0, 1] of the task's units: images for classifiers, labelled pixels
   * (pixel accuracy) for segmenters, objects found for detectors (NaN when there were none).
   */
  accuracy: number;
  /** Number of examples evaluated. */
  count: number;
  /** The task's further scores (segmentation: `meanIoU`, `perClassIoU`, …); absent for classifiers. */
  scores?: TaskScores;
}

/**
 * Mean loss and accuracy of `model` in eval mode over `batches` (each disposed after use). Each
 * forward pass gets its batch as `targets`, which a model in eval mode may read (a detector
 * labels its anchors against the ground truth) and classifiers ignore. The task's evaluation is
 * told `context` (the examples the batches bring, for a detector's full ground truth).
 */
export function evaluate(model: Model, batches: Iterable<Batch>, context?: EvaluationContext): EvalResult {
  const task = taskOf(model);
  const evaluation = task.evaluation?.(context);
  let lossSum = 0;
  let correct = 0;
  let units = 0;
  let count = 0;
  for (const batch of batches) {
    tf.tidy(() => {
      const logits = model.logits(batch.x, { training: false, targets: batch });
      const n = batch.x.shape[0];
      lossSum += task.loss(logits, batch).dataSync()[0] * n;
      const scored = task.countCorrect(logits, batch);
      correct += scored.correct;
      units += scored.count;
      count += n;
      evaluation?.add(logits, batch);
    });
    tf.dispose(batchTensors(batch));
  }
  return {
    loss: count > 0 ? lossSum / count : NaN,
    accuracy: units > 0 ? correct / units : NaN,
    count,
    ...(evaluation ? { scores: evaluation.result() } : {}),
  };
}
