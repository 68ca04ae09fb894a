/**
 * Labels for the RoIs of a forward pass that was given targets but drew no RoI samples (an
 * evaluation, or an attack in eval mode): the RoIs are then the kept proposals, and the task
 * labels every one of them itself, deterministically, so such a pass still has a loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matchLabels } from './anchors';
import { boxIouArray } from './boxes';
import type { DetectorOutput } from './detector-output';
import { type ImageBoxes, gatherBoxes } from './ground-truth';
import { ROI_MATCHER } from './roi-heads';

/**
 * `output` with `rois.labels` and `rois.matchedBoxes` filled in: each valid RoI matched to
 * `truth` (one entry per image) as torchvision's RoI head matches its proposals — label c + 1 of
 * its best object of class c at IoU ≥ 0.5, else 0 (background) — with no sampling, so every
 * valid RoI counts; padding RoIs get −1.
 */
export function labelRois(output: DetectorOutput, truth: readonly ImageBoxes[]): DetectorOutput {
  const [n, r] = output.rois.valid.shape;
  const boxes = output.rois.boxes.dataSync() as Float32Array;
  const valid = output.rois.valid.dataSync();
  const labels = new Int32Array(n * r).fill(-1);
  const matchedBoxes = new Float32Array(n * r * 4);
  for (let i = 0; i < n; i++) {
    const rois = Array.from({ length: r }, (_, k) => i * r + k).filter((k) => valid[k]);
    const own = Float32Array.from(rois.flatMap((k) => Array.from(boxes.subarray(4 * k, 4 * k + 4))));
    const { boxes: gtBoxes, classes } = truth[i];
    const matches = ROI_MATCHER.match(boxIouArray(gtBoxes, own), classes.length, rois.length);
    const roiLabels = matchLabels(
      matches,
      Array.from(classes, (c) => c + 1),
    );
    const matched = gatherBoxes(gtBoxes, matches);
    rois.forEach((k, j) => {
      labels[k] = roiLabels[j];
      matchedBoxes.set(matched.subarray(4 * j, 4 * j + 4), 4 * k);
    });
  }
  return {
    ...output,
    rois: {
      ...output.rois,
      labels: tf.tensor2d(labels, [n, r], 'int32'),
      matchedBoxes: tf.tensor3d(matchedBoxes, [n, r, 4]),
    },
  };
}
