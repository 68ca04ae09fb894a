/**
 * Faster R-CNN's four training losses, defined and normalised as torchvision's
 * `RegionProposalNetwork.compute_loss` and `fastrcnn_loss`. The forward pass has already matched
 * and sampled the anchors and RoIs (`labels`, `matchedBoxes` of a {@link DetectorOutput}), so
 * these functions draw nothing: the same output gives the same losses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import { BoxCoder, smoothL1Loss } from './boxes';
import type { DetectorOutput } from './detector-output';
import type { ImageBoxes } from './ground-truth';
import { labelRois } from './roi-targets';

/** The four losses of one training forward pass; their sum is what torchvision trains on. */
export interface DetectionLosses {
  /** RPN objectness: binary cross-entropy with logits, mean over the sampled anchors. */
  objectness: tf.Scalar;
  /** RPN box regression: smooth-L1 (β = 1/9) summed over positive anchors / sampled anchors. */
  rpnBoxRegression: tf.Scalar;
  /** RoI classification: cross-entropy over background and the classes, mean over sampled RoIs. */
  classifier: tf.Scalar;
  /** RoI box regression: class-specific smooth-L1 (β = 1/9) summed over positives / sampled RoIs. */
  boxRegression: tf.Scalar;
}

/** torchvision's β for both box losses. */
const BETA = 1 / 9;
const RPN_CODER = new BoxCoder({ weights: [1, 1, 1, 1] });
const ROI_CODER = new BoxCoder({ weights: [10, 10, 5, 5] });

/** The flat indices of sampled entries (label ≥ 0) and of positives (label ≥ 1). */
function sampledIndices(labels: tf.Tensor2D): { labels: Int32Array; sampled: number[]; positive: number[] } {
  const values = labels.dataSync() as Int32Array;
  const sampled: number[] = [];
  const positive: number[] = [];
  values.forEach((label, i) => {
    if (label >= 0) sampled.push(i);
    if (label >= 1) positive.push(i);
  });
  return { labels: Int32Array.from(values), sampled, positive };
}

function rows(tensor: tf.Tensor, width: number, indices: number[]): tf.Tensor2D {
  return tf.gather(tf.reshape(tensor, [-1, width]), tf.tensor1d(indices, 'int32')) as tf.Tensor2D;
}

/**
 * Σ over `indices` of `f`, or 0 without any. The zero is `0·Σ source` rather than a constant so
 * every parameter still gets its (zero) gradient, as torchvision's empty sums give; an empty
 * gather is avoided because its gradient fails on the wasm backend.
 */
function sumOver(indices: number[], source: tf.Tensor, f: () => tf.Tensor): tf.Tensor {
  return indices.length > 0 ? tf.sum(f()) : tf.mul(tf.sum(source), 0);
}

/** Σ / max(count, 1): a mean (or a sum per sampled entry) that is 0 rather than NaN for none. */
function perSample(total: tf.Tensor, count: number): tf.Scalar {
  return tf.div(total, Math.max(count, 1)) as tf.Scalar;
}

/** `labels`, or one line saying which forward pass draws them (`problem`) and how to get them. */
function requireSamples<T>(
  labels: T | undefined,
  matched: tf.Tensor3D | undefined,
  problem: string,
  fix: string,
): T {
  if (labels === undefined || matched === undefined) throw new PerturbError(problem, fix);
  return labels;
}

/**
 * The region proposal network's two losses: binary cross-entropy of the objectness logits
 * against the sampled labels (1 object, 0 background), mean over the sampled anchors of every
 * image, and smooth-L1 between the positives' deltas and the encoding of their matched boxes
 * against their anchors (BoxCoder weights 1, 1, 1, 1), divided by the same count.
 */
export function rpnLosses(output: DetectorOutput): Pick<DetectionLosses, 'objectness' | 'rpnBoxRegression'> {
  const { anchors, objectness, deltas } = output.rpn;
  const labels = requireSamples(
    output.rpn.labels,
    output.rpn.matchedBoxes,
    'the detection loss needs the anchor labels a forward pass with targets draws, but this output has none',
    'pass the batch as targets: model.logits(x, { training, targets: batch })',
  );
  const matchedBoxes = output.rpn.matchedBoxes as tf.Tensor3D;
  const numAnchors = anchors.shape[0];
  const { sampled, positive } = sampledIndices(labels);
  return tf.tidy(() => {
    const bce = sumOver(sampled, objectness, () => {
      const x = rows(objectness, 1, sampled);
      const y = tf.cast(rows(labels, 1, sampled), 'float32');
      // max(x, 0) − x·y + log(1 + e^−|x|): BCE with logits without overflow.
      return tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    });
    const box = sumOver(positive, deltas, () => {
      const ownAnchors = rows(
        anchors,
        4,
        positive.map((i) => i % numAnchors),
      );
      const targets = RPN_CODER.encode(rows(matchedBoxes, 4, positive), ownAnchors);
      return smoothL1Loss(rows(deltas, 4, positive), targets, { beta: BETA, reduction: 'sum' });
    });
    return {
      objectness: perSample(bce, sampled.length),
      rpnBoxRegression: perSample(box, sampled.length),
    };
  });
}

/**
 * The RoI head's two losses: cross-entropy of the class logits against the sampled labels
 * (0 background, c + 1 for class c), mean over the sampled RoIs of every image, and smooth-L1
 * between each positive's deltas for its own class and the encoding of its matched box against
 * the RoI (BoxCoder weights 10, 10, 5, 5), divided by the number of sampled RoIs.
 */
export function roiLosses(output: DetectorOutput): Pick<DetectionLosses, 'classifier' | 'boxRegression'> {
  const { boxes, classLogits, boxDeltas } = output.rois;
  const labelTensor = requireSamples(
    output.rois.labels,
    output.rois.matchedBoxes,
    'the RoI losses need the RoI labels a training forward pass with targets draws, but this output has none',
    "label an evaluation pass's RoIs against its ground truth first (detectionLosses(output, truth) does)",
  );
  const matchedBoxes = output.rois.matchedBoxes as tf.Tensor3D;
  const columns = classLogits.shape[2];
  const { labels, sampled, positive } = sampledIndices(labelTensor);
  const stray = sampled.find((i) => labels[i] >= columns);
  if (stray !== undefined) {
    throw new PerturbError(
      `RoI ${stray} has label ${labels[stray]}, but the head scores only ${columns} columns (background and ${columns - 1} classes)`,
      'label RoIs 0 for background and c + 1 for dataset class c < numClasses',
    );
  }
  return tf.tidy(() => {
    const ce = sumOver(sampled, classLogits, () => {
      const logProbs = tf.logSoftmax(rows(classLogits, columns, sampled));
      const target = tf.oneHot(
        tf.tensor1d(
          sampled.map((i) => labels[i]),
          'int32',
        ),
        columns,
      );
      return tf.neg(tf.mul(logProbs, tf.cast(target, 'float32')));
    });
    const box = sumOver(positive, boxDeltas, () => {
      // Row i·columns + label of the [N·R·columns, 4] deltas: the RoI's deltas for its own class.
      const own = rows(
        boxDeltas,
        4,
        positive.map((i) => i * columns + labels[i]),
      );
      const targets = ROI_CODER.encode(rows(matchedBoxes, 4, positive), rows(boxes, 4, positive));
      return smoothL1Loss(own, targets, { beta: BETA, reduction: 'sum' });
    });
    return {
      classifier: perSample(ce, sampled.length),
      boxRegression: perSample(box, sampled.length),
    };
  });
}

/**
 * The four losses of a forward pass with targets. A training pass carries its RoI samples; one
 * that drew none (an evaluation, an attack in eval mode) has its valid RoIs labelled against
 * `truth`, each image's ground truth, by {@link labelRois}. Without anchor labels (a forward pass
 * without targets) it refuses in one line.
 */
export function detectionLosses(
  output: DetectorOutput,
  truth?: () => readonly ImageBoxes[],
): DetectionLosses {
  const rpn = rpnLosses(output);
  const labelled = output.rois.labels || !truth ? output : labelRois(output, truth());
  const roi = roiLosses(labelled);
  if (labelled !== output) tf.dispose([labelled.rois.labels, labelled.rois.matchedBoxes]);
  return { ...rpn, ...roi };
}
