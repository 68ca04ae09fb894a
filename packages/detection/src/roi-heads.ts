/**
 * The RoI head's parts (torchvision's `RoIHeads` with `TwoMLPHead` and `FastRCNNPredictor`):
 * the training-time choice of RoIs among the proposals and ground-truth boxes, and the box head
 * that scores each pooled RoI.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, type Rng } from '@perturb/core';
import { Matcher, matchLabels, sampleBalanced, type BalancedSamplerOptions } from './anchors';
import { boxIouArray } from './boxes';
import { type ImageBoxes, gatherBoxes } from './ground-truth';

/** One image's RoIs for the box head: flat boxes, and in training their labels and matched boxes. */
export interface ImageRois {
  boxes: Float32Array;
  /** 0 background, c + 1 for class c. */
  labels?: Int32Array;
  /** The ground-truth box of each RoI, zeros for background. */
  matchedBoxes?: Float32Array;
}

/** The RoI head's matcher: IoU ≥ 0.5 foreground, below background, no low-quality matches. */
export const ROI_MATCHER = new Matcher({ highThreshold: 0.5, lowThreshold: 0.5 });

/**
 * One image's training RoIs (torchvision's `select_training_samples`): the proposals with the
 * ground-truth boxes appended, matched to the ground truth, and a balanced sample of them drawn
 * from `rng`, in ascending index order.
 */
export function sampleRois(
  proposals: Float32Array,
  truth: ImageBoxes,
  sampler: BalancedSamplerOptions,
  rng: Rng,
): Required<ImageRois> {
  const candidates = new Float32Array(proposals.length + truth.boxes.length);
  candidates.set(proposals);
  candidates.set(truth.boxes, proposals.length);
  const count = candidates.length / 4;
  const matches = ROI_MATCHER.match(boxIouArray(truth.boxes, candidates), truth.classes.length, count);
  const labels = matchLabels(
    matches,
    Int32Array.from(truth.classes, (c) => c + 1),
  );
  const { positive, negative } = sampleBalanced(labels, sampler, rng);
  const chosen = Array.from(new Int32Array([...positive, ...negative]).sort());
  // Background (below 0.5) matched nothing, so its matched box is zeros.
  const matched = gatherBoxes(truth.boxes, matches);
  const pick = (values: Float32Array) =>
    Float32Array.from(chosen.flatMap((i) => Array.from(values.subarray(4 * i, 4 * i + 4))));
  return {
    boxes: pick(candidates),
    labels: Int32Array.from(chosen, (i) => labels[i]),
    matchedBoxes: pick(matched),
  };
}

/**
 * The box head: two fully connected layers with ReLU over each flattened pooled RoI
 * (`TwoMLPHead`), then class logits (background first) and class-specific box deltas
 * (`FastRCNNPredictor`).
 */
export class BoxHead extends Module {
  private readonly fc6: Linear;
  private readonly fc7: Linear;
  private readonly classifier: Linear;
  private readonly regressor: Linear;

  /** @param inFeatures values per pooled RoI (pool height · width · channels). */
  constructor(rng: Rng, inFeatures: number, hidden: number, numClasses: number) {
    super();
    this.fc6 = this.addModule('fc6', new Linear(rng.child('fc6'), inFeatures, hidden));
    this.fc7 = this.addModule('fc7', new Linear(rng.child('fc7'), hidden, hidden));
    this.classifier = this.addModule(
      'classifier',
      new Linear(rng.child('classifier'), hidden, numClasses + 1),
    );
    this.regressor = this.addModule(
      'regressor',
      new Linear(rng.child('regressor'), hidden, 4 * (numClasses + 1)),
    );
  }

  /**
   * Scores `[N, R·P, P, C]` pooled RoIs (R per image, P×P each): class logits `[N, R, K + 1]`
   * and deltas `[N, R, 4(K + 1)]`.
   */
  forward(pooled: tf.Tensor4D, pool: number): { classLogits: tf.Tensor3D; boxDeltas: tf.Tensor3D } {
    const [n, rows, , c] = pooled.shape;
    const r = rows / pool;
    const flat = tf.reshape(pooled, [n * r, pool * pool * c]) as tf.Tensor2D;
    const hidden = tf.relu(this.fc7.forward(tf.relu(this.fc6.forward(flat))));
    const classLogits = this.classifier.forward(hidden);
    const boxDeltas = this.regressor.forward(hidden);
    return {
      classLogits: tf.reshape(classLogits, [n, r, classLogits.shape[1]]),
      boxDeltas: tf.reshape(boxDeltas, [n, r, boxDeltas.shape[1]]),
    };
  }
}
