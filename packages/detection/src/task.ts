/**
 * Object detection as a task of core's plugin contract: a Faster R-CNN's output scored against
 * the batch's boxes, so the trainer, the PGD attacks and A-FAN/L-ALFA train and attack a
 * detector exactly as they do a classifier or a segmenter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type Task, check, parseOptions, z } from '@perturb/core';
import type { Dataset } from '@perturb/datasets';
import { datasetGroundTruth } from './dataset-ground-truth';
import { detectionLosses } from './detection-loss';
import { CocoAccumulator, countHits } from './detection-metrics';
import type { DetectorOutput } from './detector-output';
import { type BoxTargets, imageBoxes } from './ground-truth';
import { type Detections, postprocessDetections, postprocessShape } from './postprocess';
import { asDetectorOutput } from './read-output';

const WHO = 'a detection model';

/** The options of {@link detectionTask}, checked, with every default. */
export const detectionTaskSchema = z.strictObject({
  ...postprocessShape,
  /**
   * The score from which a detection counts as the model's prediction: the boxes of
   * `predictedTargets` (what attacks with `labels: 'predicted'` ascend the loss on) and of the
   * evaluation-time accuracy. Default 0.5. The COCO scores use every detection above
   * `scoreThreshold`, as COCO evaluation does.
   */
  predictionScore: z.number().min(0).max(1).default(0.5),
});

/** Options of {@link detectionTask} (every field optional). */
export type DetectionTaskOptions = z.input<typeof detectionTaskSchema>;

/** Each image's ground-truth objects of `batch`, whose images `output` came from. */
function truthOf(output: DetectorOutput, batch: Batch) {
  return imageBoxes(batch, output.rois.boxes.shape[0], WHO);
}

/** `detections` cut to those scoring at least `minScore` (they come best first). */
function confident(detections: Detections, minScore: number): Detections {
  let k = 0;
  while (k < detections.scores.length && detections.scores[k] >= minScore) k++;
  return {
    boxes: detections.boxes.slice(0, 4 * k),
    scores: detections.scores.slice(0, k),
    classes: detections.classes.slice(0, k),
  };
}

/** Each image's detections as a batch's padded boxes (class −1 on padding rows, at least one row). */
function asBatchBoxes(detections: Detections[]): BoxTargets {
  // One padding row when nothing was detected keeps the tensors non-empty for the ops downstream.
  const m = Math.max(1, ...detections.map((d) => d.classes.length));
  const boxes = new Float32Array(detections.length * m * 4);
  const classes = new Int32Array(detections.length * m).fill(-1);
  detections.forEach((d, i) => {
    boxes.set(d.boxes, i * m * 4);
    classes.set(d.classes, i * m);
  });
  return {
    boxes: tf.tensor3d(boxes, [detections.length, m, 4]),
    classes: tf.tensor2d(classes, [detections.length, m], 'int32'),
  };
}

/** Sampled RoIs whose highest class logit is their label, out of the sampled RoIs. */
function countSampledRight(output: DetectorOutput, labels: tf.Tensor2D): { correct: number; count: number } {
  const predicted = tf.tidy(() => tf.argMax(output.rois.classLogits, 2));
  const guesses = predicted.dataSync();
  predicted.dispose();
  let correct = 0;
  let count = 0;
  labels.dataSync().forEach((label, i) => {
    if (label < 0) return;
    count++;
    if (guesses[i] === label) correct++;
  });
  return { correct, count };
}

/**
 * The task of a Faster R-CNN over `numClasses` object classes (no background):
 * - `loss`: the sum of the RPN's objectness and box losses and the RoI head's classification
 *   and box losses ({@link detectionLosses}), on the samples of a training forward pass, or on
 *   a forward pass with targets that drew no RoI samples (evaluation) over every valid RoI,
 *   labelled against the batch's boxes;
 * - `predictedTargets`: the batch's boxes replaced by the detections scoring ≥ `predictionScore`;
 * - `countCorrect`: on a training forward pass, sampled RoIs classified right out of those
 *   sampled; on an inference one, ground-truth objects found by a detection scoring ≥
 *   `predictionScore` of their class at IoU ≥ 0.5, out of the objects;
 * - `evaluation`: COCO's mAP (AP@[.50:.95]), AP50, AP75, AP by size and AR@100 over every
 *   image evaluated, from the post-processed detections and the batches' boxes — or, when the
 *   evaluation is told the dataset the batches come from (`context.examples`), all of that
 *   dataset's objects (`datasetGroundTruth`: crowd and difficult ones count as crowd regions).
 */
export function detectionTask(numClasses: number, options: DetectionTaskOptions = {}): Task {
  check(
    Number.isInteger(numClasses) && numClasses > 0,
    `a detection task over ${numClasses} classes`,
    'pass the number of object classes (without background), e.g. 10',
  );
  const { predictionScore, ...postprocess } = parseOptions(
    detectionTaskSchema,
    options,
    'detectionTask options',
  );
  const read = (logits: unknown, who: string) => asDetectorOutput(logits, numClasses, who);
  // The evaluator scores one output with countCorrect and then evaluation.add: post-process it once.
  const processed = new WeakMap<DetectorOutput, Detections[]>();
  const detectionsOf = (output: DetectorOutput) => {
    let detections = processed.get(output);
    if (!detections) {
      detections = postprocessDetections(output, postprocess);
      processed.set(output, detections);
    }
    return detections;
  };
  const predictions = (output: DetectorOutput) =>
    detectionsOf(output).map((d) => confident(d, predictionScore));
  return {
    kind: 'detection',
    loss: (logits, batch) =>
      tf.tidy(() => {
        const output = read(logits, 'the detection loss');
        const losses = detectionLosses(output, () => truthOf(output, batch));
        return tf.addN(Object.values(losses)) as tf.Scalar;
      }),
    predictedTargets: (logits, batch): Batch => {
      const boxed: Batch & { boxes: BoxTargets } = {
        x: batch.x,
        y: tf.clone(batch.y),
        boxes: asBatchBoxes(predictions(read(logits, 'predictedTargets'))),
      };
      return boxed;
    },
    countCorrect: (logits, batch) => {
      const output = read(logits, 'countCorrect');
      if (output.rois.labels) return countSampledRight(output, output.rois.labels);
      const truth = truthOf(output, batch);
      const found = predictions(output).reduce((sum, d, i) => sum + countHits(d, truth[i]), 0);
      return { correct: found, count: truth.reduce((sum, t) => sum + t.classes.length, 0) };
    },
    evaluation: (context) => {
      const examples = context?.examples as Dataset | undefined;
      const coco = new CocoAccumulator(numClasses, examples && datasetGroundTruth(examples));
      return {
        add: (logits, batch) => {
          const output = read(logits, 'the detection evaluation');
          const truth = truthOf(output, batch);
          detectionsOf(output).forEach((d, i) => coco.add(d, truth[i]));
        },
        result: () => coco.result(),
      };
    },
  };
}
