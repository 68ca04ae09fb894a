/**
 * The check that a model's output is a detector's: the task's methods receive whatever the
 * model returned, so a classifier's logits handed to the detection task fail here in one line
 * rather than deep inside a loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import type { DetectorOutput } from './detector-output';

function isTensor(value: unknown, rank: number): boolean {
  return value instanceof tf.Tensor && value.rank === rank;
}

/**
 * `value` as a {@link DetectorOutput} whose RoI head scores `numClasses` object classes plus
 * background; `who` names the caller in the error.
 */
export function asDetectorOutput(value: unknown, numClasses: number, who: string): DetectorOutput {
  const output = value as Partial<DetectorOutput> | null;
  const { rpn, rois } = output ?? {};
  const shaped =
    rpn !== undefined &&
    rois !== undefined &&
    Array.isArray(output?.imageSize) &&
    isTensor(rpn.anchors, 2) &&
    isTensor(rpn.objectness, 2) &&
    isTensor(rpn.deltas, 3) &&
    isTensor(rois.boxes, 3) &&
    isTensor(rois.valid, 2) &&
    isTensor(rois.classLogits, 3) &&
    isTensor(rois.boxDeltas, 3);
  if (!shaped) {
    throw new PerturbError(
      `${who} got ${value instanceof tf.Tensor ? `a tensor of shape [${value.shape}]` : 'something'} where a detector's output belongs`,
      'pass the DetectorOutput of a FasterRcnn forward pass ({ imageSize, rpn, rois })',
    );
  }
  const columns = rois.classLogits.shape[2];
  if (columns !== numClasses + 1 || rois.boxDeltas.shape[2] !== 4 * columns) {
    throw new PerturbError(
      `${who} scores ${numClasses} object classes, but the detector's RoI head gives ${columns} class columns and ${rois.boxDeltas.shape[2]} box deltas`,
      `build the task with the model's numClasses (${columns - 1}): the head has background plus one column per class and 4 deltas each`,
    );
  }
  return output as DetectorOutput;
}
