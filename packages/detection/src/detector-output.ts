/**
 * What a Faster R-CNN forward pass returns in place of logits: the dense outputs of the region
 * proposal network and those of the RoI head, plus (in training, with targets) the samples both
 * were scored on, so the detection task's loss needs no randomness of its own.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** What a FasterRcnn forward pass returns: the RPN's dense outputs and the RoI head's. */
export type DetectorOutput = {
  /** The input images' height and width in pixels. */
  imageSize: [number, number];
  rpn: {
    /**
     * Every anchor of every pyramid level, levels in order, row-major (y, x, anchor) inside a
     * level: `[A, 4]` (x1, y1, x2, y2) pixels, the same for every image.
     */
    anchors: tf.Tensor2D;
    /** Objectness logits `[N, A]`. */
    objectness: tf.Tensor2D;
    /** Box deltas `[N, A, 4]` (dx, dy, dw, dh) against `anchors`, BoxCoder weights (1, 1, 1, 1). */
    deltas: tf.Tensor3D;
    /**
     * Forward with `targets` only: each anchor's sampled label `[N, A]` int32 (1 positive, 0
     * negative, -1 not sampled) — Matcher 0.7/0.3 with low-quality matches, 256 per image, 0.5
     * positive — …
     */
    labels?: tf.Tensor2D;
    /** … and the ground-truth box each anchor was matched to `[N, A, 4]` (zeros where none). */
    matchedBoxes?: tf.Tensor3D;
  };
  rois: {
    /** The RoIs the head scored `[N, R, 4]` pixels (constants: no gradient flows into them). */
    boxes: tf.Tensor3D;
    /** `[N, R]` 1 for a real RoI, 0 for padding (fewer proposals than R survived). */
    valid: tf.Tensor2D;
    /** Class logits `[N, R, numClasses + 1]`, column 0 = background. */
    classLogits: tf.Tensor3D;
    /** Class-specific box deltas `[N, R, 4 · (numClasses + 1)]`, BoxCoder weights (10, 10, 5, 5). */
    boxDeltas: tf.Tensor3D;
    /**
     * Training forward with `targets` only: each RoI's sampled label `[N, R]` int32
     * (0 background, c + 1 for dataset class c, -1 not sampled / padding) …
     */
    labels?: tf.Tensor2D;
    /** … and the ground-truth box it was matched to `[N, R, 4]` (zeros for background). */
    matchedBoxes?: tf.Tensor3D;
  };
};
