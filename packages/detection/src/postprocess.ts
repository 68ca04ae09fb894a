/**
 * Inference: a detector's RoI scores and class-specific deltas into each image's detections,
 * as torchvision's `RoIHeads.postprocess_detections` makes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Model, parseOptions, z } from '@perturb/core';
import { BoxCoder, clipBoxes } from './boxes';
import type { DetectorOutput } from './detector-output';
import { selectDetections } from './nms';
import { asDetectorOutput } from './read-output';

/** The settings of the inference-time selection, shared by {@link postprocessDetections} and the task. */
export const postprocessShape = {
  /** Keep detections scoring above this (torchvision's `box_score_thresh`). Default 0.05. */
  scoreThreshold: z.number().min(0).max(1).default(0.05),
  /** IoU above which a lower-scored detection of the same class is suppressed. Default 0.5. */
  nmsThreshold: z.number().min(0).max(1).default(0.5),
  /** Detections kept per image, best first (torchvision's `box_detections_per_img`). Default 100. */
  detectionsPerImage: z.number().int().positive().default(100),
  /** Drop boxes narrower or shorter than this many pixels. Default 0.01 (torchvision's). */
  minSize: z.number().min(0).default(1e-2),
};

/** The options of {@link postprocessDetections}, checked, with every default. */
export const postprocessSchema = z.strictObject(postprocessShape);

/** Options of {@link postprocessDetections} (every field optional). */
export type PostprocessOptions = z.input<typeof postprocessSchema>;

/** One image's detections, best first. */
export interface Detections {
  /** Flat (x1, y1, x2, y2, …) boxes in the input's pixels, clipped to the image. */
  boxes: Float32Array;
  /** Class probabilities (softmax over background and the classes) of each box. */
  scores: Float32Array;
  /** 0-based dataset class ids (the head's column − 1). */
  classes: Int32Array;
}

const ROI_CODER = new BoxCoder({ weights: [10, 10, 5, 5] });

/**
 * Each image's detections from a detector's output: softmax over the class logits, every RoI
 * decoded once per class with its class-specific deltas (BoxCoder weights 10, 10, 5, 5) and
 * clipped to the image, background dropped, then per image the score threshold, small-box
 * removal, per-class NMS and the best `detectionsPerImage` ({@link selectDetections}).
 * Padding RoIs (`valid` 0) are left out. Needs no targets: works on an inference forward pass.
 */
export function postprocessDetections(
  output: DetectorOutput,
  options: PostprocessOptions = {},
): Detections[] {
  const settings = parseOptions(postprocessSchema, options, 'postprocessDetections options');
  const { rois, imageSize } = output;
  const [n, r, columns] = rois.classLogits.shape;
  const { boxes, scores } = tf.tidy(() => {
    const decoded = ROI_CODER.decode(
      tf.reshape(rois.boxDeltas, [n * r, 4 * columns]),
      tf.reshape(rois.boxes, [n * r, 4]),
    );
    return {
      boxes: clipBoxes(tf.reshape(decoded, [n * r * columns, 4]), imageSize),
      scores: tf.softmax(tf.reshape(rois.classLogits, [n * r, columns])),
    };
  });
  const boxValues = boxes.dataSync();
  const scoreValues = scores.dataSync();
  tf.dispose([boxes, scores]);
  const valid = rois.valid.dataSync();
  return Array.from({ length: n }, (_, image) => {
    const candidateBoxes: number[] = [];
    const candidateScores: number[] = [];
    const candidateClasses: number[] = [];
    for (let roi = image * r; roi < (image + 1) * r; roi++) {
      if (!valid[roi]) continue;
      for (let column = 1; column < columns; column++) {
        const k = roi * columns + column;
        candidateBoxes.push(...boxValues.subarray(4 * k, 4 * k + 4));
        candidateScores.push(scoreValues[k]);
        candidateClasses.push(column - 1);
      }
    }
    const keep = selectDetections(candidateBoxes, candidateScores, candidateClasses, {
      scoreThreshold: settings.scoreThreshold,
      iouThreshold: settings.nmsThreshold,
      maxDetections: settings.detectionsPerImage,
      minSize: settings.minSize,
    });
    return {
      boxes: Float32Array.from(Array.from(keep).flatMap((k) => candidateBoxes.slice(4 * k, 4 * k + 4))),
      scores: Float32Array.from(keep, (k) => candidateScores[k]),
      classes: Int32Array.from(keep, (k) => candidateClasses[k]),
    };
  });
}

/**
 * Detects objects in images `x` `[N, H, W, C]` with a detector: an inference forward pass
 * (`training: false`, no targets) and {@link postprocessDetections}. Leaves no tensors behind.
 */
export function detect(model: Model, x: tf.Tensor4D, options: PostprocessOptions = {}): Detections[] {
  let detections: Detections[] = [];
  tf.tidy(() => {
    const output = asDetectorOutput(model.logits(x, { training: false }), model.numClasses, 'detect');
    detections = postprocessDetections(output, options);
  });
  return detections;
}
