/**
 * The region proposal network's parts (torchvision's `RPNHead` and `RegionProposalNetwork`):
 * the head shared by every pyramid level, and the host-side labelling of anchors against the
 * ground truth for the RPN's loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, type Rng } from '@perturb/core';
import type { Matcher } from './anchors';
import { matchLabels, sampleBalanced, type BalancedSamplerOptions } from './anchors';
import { boxIouArray } from './boxes';
import { type ImageBoxes, gatherBoxes } from './ground-truth';

/** σ of the normal the RPN head's convs start from (torchvision's `RPNHead`; biases start at 0). */
const RPN_INIT_STD = 0.01;

/** The RPN head: a shared 3×3 conv + ReLU, then per anchor a 1×1 objectness logit and 1×1 box deltas. */
export class RpnHead extends Module {
  private readonly conv: Conv2d;
  private readonly objectness: Conv2d;
  private readonly deltas: Conv2d;

  constructor(rng: Rng, channels: number, anchorsPerLocation: number) {
    super();
    const init = RPN_INIT_STD;
    this.conv = this.addModule('conv', new Conv2d(rng.child('conv'), channels, channels, { init }));
    this.objectness = this.addModule(
      'objectness',
      new Conv2d(rng.child('objectness'), channels, anchorsPerLocation, { kernelSize: 1, init }),
    );
    this.deltas = this.addModule(
      'deltas',
      new Conv2d(rng.child('deltas'), channels, 4 * anchorsPerLocation, { kernelSize: 1, init }),
    );
  }

  /** The shared conv's features of one level (the `rpn` feature site). */
  features(level: tf.Tensor4D): tf.Tensor4D {
    return tf.relu(this.conv.forward(level));
  }

  /**
   * Objectness `[N, H·W·A]` and deltas `[N, H·W·A, 4]` of one level's shared features, in the
   * anchors' order (y, x, anchor).
   */
  predict(features: tf.Tensor4D): { objectness: tf.Tensor2D; deltas: tf.Tensor3D } {
    const [n, h, w] = features.shape;
    const objectness = this.objectness.forward(features);
    const count = h * w * objectness.shape[3];
    return {
      objectness: tf.reshape(objectness, [n, count]),
      deltas: tf.reshape(this.deltas.forward(features), [n, count, 4]),
    };
  }
}

/** How the RPN labels anchors for its loss. */
export interface AnchorLabelling {
  /** Matcher 0.7/0.3 with low-quality matches, as torchvision's RPN. */
  matcher: Matcher;
  /** Anchors sampled per image and their largest positive share (256, 0.5). */
  sampler: BalancedSamplerOptions;
}

/**
 * One image's anchor labels for the RPN loss: each anchor matched to the ground truth, then a
 * balanced sample drawn from `rng` — 1 for a sampled positive, 0 for a sampled negative, −1 for
 * the rest — and the box each anchor matched (zeros where it matched none). `anchors` flat `[A·4]`.
 */
export function labelAnchors(
  anchors: Float32Array,
  truth: ImageBoxes,
  labelling: AnchorLabelling,
  rng: Rng,
): { labels: Int32Array; matchedBoxes: Float32Array } {
  const count = anchors.length / 4;
  const matches = labelling.matcher.match(boxIouArray(truth.boxes, anchors), truth.classes.length, count);
  const { positive, negative } = sampleBalanced(matchLabels(matches), labelling.sampler, rng);
  const labels = new Int32Array(count).fill(-1);
  for (const i of negative) labels[i] = 0;
  for (const i of positive) labels[i] = 1;
  return { labels, matchedBoxes: gatherBoxes(truth.boxes, matches) };
}
