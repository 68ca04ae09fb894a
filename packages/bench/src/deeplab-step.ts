/** One SGD training step of perturb's DeepLabV3+, as `peers/deeplab_peer.py --bench` times it. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@perturb/core';
import { DeepLabV3Plus, segmentationCrossEntropy } from '@perturb/segmentation';
import { sgdTraining, type TimedStep } from './classifier-step';

/** The sizes both sides of the `deeplabv3plus` row share (the peer's flags of the same names). */
export interface DeepLabStepSpec {
  batch: number;
  /** Image side; images are `size`×`size`×1. */
  size: number;
  classes: number;
  /** Basic blocks per backbone stage (ResNet-18: `[2, 2, 2, 2]`); stages of 64…512 channels. */
  blocks: [number, number, number, number];
  outputStride: 8 | 16;
  /** Channels of the ASPP branches and of the decoder. */
  asppChannels: number;
}

/** The peer's command-line flags for `spec`. */
export function deeplabPeerArgs(spec: DeepLabStepSpec): string[] {
  // prettier-ignore
  return [
    '--batch', String(spec.batch),
    '--size', String(spec.size),
    '--classes', String(spec.classes),
    '--blocks', ...spec.blocks.map(String),
    '--output-stride', String(spec.outputStride),
    '--aspp-channels', String(spec.asppChannels),
  ];
}

/**
 * Builds DeepLabV3+ (ImageNet stem, width 64, dilated basic blocks) on a fixed random batch of
 * normal images and uniform label maps, trained by the segmentation task's loss (per-pixel
 * cross-entropy, ignore index 255) and the classifier rows' SGD.
 */
export function deeplabStep(spec: DeepLabStepSpec): TimedStep {
  const rng = new Rng(0);
  const x = rng.normalTensor([spec.batch, spec.size, spec.size, 1]) as tf.Tensor4D;
  const labels = Array.from({ length: spec.batch * spec.size * spec.size }, () => rng.int(spec.classes));
  const y = tf.tensor3d(labels, [spec.batch, spec.size, spec.size], 'int32');
  const model = new DeepLabV3Plus({
    rng,
    numClasses: spec.classes,
    inChannels: 1,
    backbone: 'resnet18',
    blocks: spec.blocks,
    width: 64,
    stem: 'imagenet',
    outputStride: spec.outputStride,
    channels: spec.asppChannels,
  });
  return sgdTraining(
    model.parameters(),
    () => segmentationCrossEntropy(model.logits(x, { training: true }), y),
    () => {
      model.dispose();
      tf.dispose([x, y]);
    },
  );
}
