/**
 * The task seam: what a model's logits mean. The trainer, the attacks (pixel, latent and feature
 * PGD) and A-FAN reach a model's loss, its predictions and its metrics only through its `Task`,
 * so one training loop and one attack loop serve classifiers (a row of logits per image against
 * `y`) and dense models (logits per pixel against the batch's label map) alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from './adversarial';
import { PerturbError } from './errors';
import type { Batch, BatchBoxes, Classifier, Model, ModelOutput } from './plugin';

/** Numbers an evaluation reports besides loss and accuracy, e.g. `{ meanIoU: 0.41 }`. */
export type TaskScores = Record<string, number | number[]>;

/** Accumulates a task's evaluation over batches. */
export interface TaskEvaluation {
  add(logits: ModelOutput, batch: Batch): void;
  /** The scores over every batch added. */
  result(): TaskScores;
}

/** What an evaluation is told besides its batches. */
export interface EvaluationContext {
  /**
   * The examples the batches bring, all of them in their order (a `Dataset` of
   * `@perturb/datasets`): a task may score against what it knows of them beyond the batches —
   * a detector against every object, the crowd and difficult ones batches leave out.
   */
  readonly examples?: unknown;
}

/** What a model's logits mean and how they are scored against a batch. */
export interface Task {
  /** `'classification'`, `'segmentation'`: names the task in messages and results. */
  readonly kind: string;
  /** The mean loss of `logits` against `batch`'s targets (what training descends and attacks ascend). */
  loss(logits: ModelOutput, batch: Batch): tf.Scalar;
  /**
   * `batch` with its targets replaced by the model's own predictions from `logits`: what attacks
   * with `labels: 'predicted'` ascend the loss on. Returns only new tensors besides `batch.x`.
   */
  predictedTargets(logits: ModelOutput, batch: Batch): Batch;
  /** Units right and units counted (images, or labelled pixels): the training accuracy. */
  countCorrect(logits: ModelOutput, batch: Batch): { correct: number; count: number };
  /** Scores beyond loss and accuracy over an evaluation (mIoU), told `context` when known. Default none. */
  evaluation?(context?: EvaluationContext): TaskEvaluation;
}

/** Image classification: softmax cross-entropy of one row of logits per image against `y`. */
export const classificationTask: Task = {
  kind: 'classification',
  loss: (logits, batch) => crossEntropy(logits as tf.Tensor2D, batch.y),
  predictedTargets: (logits, batch) => {
    const rows = logits as tf.Tensor2D;
    return {
      x: batch.x,
      y: tf.tidy(() => tf.cast(tf.oneHot(tf.argMax(rows, 1), rows.shape[1]), 'float32') as tf.Tensor2D),
    };
  },
  countCorrect: (logits, batch) => ({
    correct: countCorrect(logits as tf.Tensor2D, batch.y),
    count: batch.x.shape[0],
  }),
};

/** Number of rows whose argmax of `logits` equals the argmax of `y`. */
export function countCorrect(logits: tf.Tensor2D, y: tf.Tensor2D): number {
  return tf.tidy(
    () => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')).dataSync()[0],
  );
}

/** The task of `model`: its own, or classification. */
export function taskOf(model: Model): Task {
  return model.task ?? classificationTask;
}

/**
 * `model` as a classifier, for methods that read class logits per image (AugMix's consistency
 * loss, on-manifold attacks); `who` names the method in the one-line refusal of a dense model.
 */
export function asClassifier(model: Model, who: string): Classifier {
  const { kind } = taskOf(model);
  if (kind !== 'classification') {
    throw new PerturbError(
      `${who} works on classifiers, but the model is a ${kind} model`,
      `use ${who} with a classifier; a ${kind} model takes the label-aware augmenters and attacks (docs/segmentation.md)`,
    );
  }
  return model as Classifier;
}

/** The tensors of `batch` (images, labels, dense targets), e.g. to dispose of them. */
export function batchTensors(batch: Batch): tf.Tensor[] {
  return [
    batch.x,
    batch.y,
    ...(batch.labelMap ? [batch.labelMap.classes] : []),
    ...(batch.boxes ? [batch.boxes.boxes, batch.boxes.classes] : []),
  ];
}

/** Which per-sample tensor of a batch {@link mapBatch} hands its function. */
export type BatchPart = 'x' | 'y' | 'labelMap' | 'boxes' | 'boxClasses';

/**
 * `batch` with `f` applied to each of its per-sample tensors (images, labels, dense targets;
 * a batch's boxes are two, `'boxes'` and `'boxClasses'`), e.g. to gather, slice or select
 * samples of all of them together.
 */
export function mapBatch(batch: Batch, f: <T extends tf.Tensor>(tensor: T, part: BatchPart) => T): Batch {
  return {
    x: f(batch.x, 'x'),
    y: f(batch.y, 'y'),
    ...(batch.labelMap
      ? {
          labelMap: {
            classes: f(batch.labelMap.classes, 'labelMap'),
            ignoreIndex: batch.labelMap.ignoreIndex,
          },
        }
      : {}),
    ...(batch.boxes
      ? { boxes: { boxes: f(batch.boxes.boxes, 'boxes'), classes: f(batch.boxes.classes, 'boxClasses') } }
      : {}),
  };
}

/**
 * The samples of `batches` joined in order (each must carry the same dense targets). Boxes are
 * padded to the largest count among them: zero boxes of class -1.
 */
export function concatBatches(batches: readonly Batch[]): Batch {
  const [first] = batches;
  // Checked before any tensor is made, so a refusal leaves nothing behind.
  const labelMaps = first.labelMap ? batches.map((b) => requireLabelMap(b, 'concatBatches')) : undefined;
  const boxes = first.boxes ? batches.map((b) => requireBoxes(b, 'concatBatches')) : undefined;
  return {
    x: tf.concat(batches.map((b) => b.x)) as tf.Tensor4D,
    y: tf.concat(batches.map((b) => b.y)) as tf.Tensor2D,
    ...(labelMaps
      ? {
          labelMap: {
            classes: tf.concat(labelMaps.map((l) => l.classes)) as tf.Tensor3D,
            ignoreIndex: labelMaps[0].ignoreIndex,
          },
        }
      : {}),
    ...(boxes ? { boxes: concatBoxes(boxes) } : {}),
  };
}

/** The boxes of several batches joined, each padded to the largest count of boxes per image. */
function concatBoxes(parts: readonly BatchBoxes[]): BatchBoxes {
  const rows = Math.max(...parts.map((p) => p.classes.shape[1]));
  const padded = (t: tf.Tensor, value: number) =>
    t.shape[1] === rows
      ? t
      : tf.pad(
          t,
          t.shape.map((_, axis): [number, number] =>
            axis === 1 ? [0, rows - (t.shape[1] as number)] : [0, 0],
          ),
          value,
        );
  return tf.tidy(() => ({
    boxes: tf.concat(parts.map((p) => padded(p.boxes, 0))) as tf.Tensor3D,
    classes: tf.concat(parts.map((p) => padded(p.classes, -1))) as tf.Tensor2D,
  }));
}

/** The batch's label map; `who` names the method in the one-line error when it has none. */
export function requireLabelMap(batch: Batch, who: string): NonNullable<Batch['labelMap']> {
  if (!batch.labelMap) {
    throw new PerturbError(
      `${who} needs batches with label maps, but this batch has only class labels`,
      'train it on a segmentation dataset (perturb list datasets)',
    );
  }
  return batch.labelMap;
}

/** The batch's object boxes; `who` names the method in the one-line error when it has none. */
export function requireBoxes(batch: Batch, who: string): BatchBoxes {
  if (!batch.boxes) {
    throw new PerturbError(
      `${who} needs batches with object boxes, but this batch has none`,
      'train it on a detection dataset (perturb list datasets)',
    );
  }
  return batch.boxes;
}
