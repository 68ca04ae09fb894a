/** One SGD training step of perturb's Faster R-CNN, as `peers/fasterrcnn_peer.py --bench` times it. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, models, parseOptions, taskOf, type Batch, type Model } from '@perturb/core';
import type { DetectorOutput } from '@perturb/detection';
import '@perturb/detection'; // registers the `fasterrcnn` model
import { sgdTraining, type TimedStep } from './classifier-step';

/** The model sizes both sides share, under the `fasterrcnn` model's option names (one anchor size a level). */
export interface FasterRcnnSizes {
  /** Channels of the first ResNet stage (basic blocks, ResNet-18 depth); later stages double it. */
  width: number;
  blocks: [number, number, number, number];
  stem: 'cifar' | 'imagenet';
  fpnChannels: number;
  /** One anchor size (√area, pixels) per pyramid level, finest first. */
  anchorSizes: [number, number, number, number, number];
  aspectRatios: number[];
  rpnPreNmsTopNTrain: number;
  rpnPostNmsTopNTrain: number;
  rpnPreNmsTopNTest: number;
  rpnPostNmsTopNTest: number;
  rpnBatchSizePerImage: number;
  roiSamples: number;
  representationSize: number;
  canonicalScale: number;
}

/** The sizes of the `fasterrcnn` row's batch and model (the peer's flags of the same meaning). */
export interface FasterRcnnStepSpec {
  batch: number;
  /** Image side; images are `size`×`size`×1. */
  size: number;
  /** Object classes, background not counted. */
  classes: number;
  /** Ground-truth boxes per image. */
  objects: number;
  model: FasterRcnnSizes;
}

/** Object boxes of a detection batch (issue 19's `Batch.boxes`): `[N, M, 4]` pixels, `[N, M]` 0-based classes. */
export type BatchBoxes = { boxes: tf.Tensor3D; classes: tf.Tensor2D };

/** Learning rate of both sides: a randomly initialised detector at the classifiers' 0.1 diverges within the timed steps. */
export const FASTER_RCNN_LR = 0.01;

/** The peer's command-line flags for `spec`. */
export function fasterRcnnPeerArgs(spec: FasterRcnnStepSpec): string[] {
  const m = spec.model;
  // prettier-ignore
  return [
    '--batch', String(spec.batch),
    '--size', String(spec.size),
    '--classes', String(spec.classes),
    '--objects', String(spec.objects),
    '--width', String(m.width),
    '--blocks', ...m.blocks.map(String),
    '--stem', m.stem,
    '--fpn-channels', String(m.fpnChannels),
    '--anchor-sizes', ...m.anchorSizes.map(String),
    '--aspect-ratios', ...m.aspectRatios.map(String),
    '--rpn-pre-nms-train', String(m.rpnPreNmsTopNTrain),
    '--rpn-post-nms-train', String(m.rpnPostNmsTopNTrain),
    '--rpn-pre-nms-test', String(m.rpnPreNmsTopNTest),
    '--rpn-post-nms-test', String(m.rpnPostNmsTopNTest),
    '--rpn-samples', String(m.rpnBatchSizePerImage),
    '--roi-samples', String(m.roiSamples),
    '--mlp', String(m.representationSize),
    '--canonical-scale', String(m.canonicalScale),
    '--lr', String(FASTER_RCNN_LR),
  ];
}

/**
 * `objects` boxes per image with sides of 14–42 pixels (Fashion-MNIST scenes' garments) placed
 * uniformly inside the image, and uniform 0-based classes, as `Batch.boxes`.
 */
export function randomBoxes(rng: Rng, spec: FasterRcnnStepSpec): BatchBoxes {
  const corners: number[] = [];
  const classes: number[] = [];
  for (let i = 0; i < spec.batch * spec.objects; i++) {
    const [w, h] = [14 + rng.int(29), 14 + rng.int(29)];
    const [x1, y1] = [rng.uniform() * (spec.size - w), rng.uniform() * (spec.size - h)];
    corners.push(x1, y1, x1 + w, y1 + h);
    classes.push(rng.int(spec.classes));
  }
  return {
    boxes: tf.tensor3d(corners, [spec.batch, spec.objects, 4]),
    classes: tf.tensor2d(classes, [spec.batch, spec.objects], 'int32'),
  };
}

/** The registered `fasterrcnn` model at `spec`'s sizes, for `size`×`size`×1 images. */
export function createFasterRcnn(spec: FasterRcnnStepSpec, rng: Rng): Model<DetectorOutput> {
  const definition = models.get('fasterrcnn');
  const options = { ...spec.model, anchorSizes: spec.model.anchorSizes.map((size) => [size]) };
  return definition.create(parseOptions(definition.schema, options, 'the fasterrcnn row'), {
    numClasses: spec.classes,
    inputShape: [spec.size, spec.size, 1],
    rng,
  }) as Model<DetectorOutput>;
}

/**
 * Builds the registered `fasterrcnn` model at `spec.model`'s sizes on a fixed batch of normal
 * images with random boxes; each step is a training forward pass against the boxes (its anchor
 * and RoI samples from a new named stream), the detection task's loss (torchvision's four
 * losses, summed), and SGD.
 */
export function fasterRcnnStep(spec: FasterRcnnStepSpec): TimedStep {
  const rng = new Rng(0);
  const x = rng.normalTensor([spec.batch, spec.size, spec.size, 1]) as tf.Tensor4D;
  const labels = Array.from({ length: spec.batch }, () => rng.int(spec.classes));
  const y = tf.tidy(() => tf.cast(tf.oneHot(labels, spec.classes), 'float32')) as tf.Tensor2D;
  const batch: Batch & { boxes: BatchBoxes } = { x, y, boxes: randomBoxes(rng, spec) };
  const model = createFasterRcnn(spec, rng.child('model'));
  const task = taskOf(model);
  const forward = rng.child('forward');
  let step = 0;
  return sgdTraining(
    model.parameters(),
    () => {
      const output = model.logits(x, {
        training: true,
        targets: batch,
        rng: forward.child(`step-${step++}`),
      });
      return task.loss(output, batch);
    },
    () => {
      model.dispose();
      tf.dispose(batch);
    },
    FASTER_RCNN_LR,
  );
}
