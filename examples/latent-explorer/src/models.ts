/** The two models the page uses, their sizes, and how they travel: perturb checkpoints as bytes. */
import { applyCheckpoint, decodeCheckpoint, encodeCheckpoint, Rng } from '@perturb/core';
import { LeNet5 } from '@perturb/classifiers';
import { DATASETS } from '@perturb/datasets';
import { type Glow, glowFromCheckpoint } from '@perturb/flows';
import * as tf from '@tensorflow/tfjs-core';

/** A Glow small enough to train in minutes on a CPU and to ship with the page (31 k parameters). */
export const GLOW_SIZE = { levels: 2, steps: 4, hidden: 32 } as const;

/** Fashion-MNIST: 28×28 grey images of 10 classes. */
export const IMAGE_SHAPE = [28, 28, 1] as const;
export const CLASS_NAMES = DATASETS['fashion-mnist-small'].classNames;

/** The classifier of both panels: LeNet-5 on 28×28 grey images (61 k parameters, no BatchNorm). */
export function createClassifier(seed: number): LeNet5 {
  return new LeNet5({ rng: new Rng(seed).child('classifier'), numClasses: 10, inChannels: 1, inputSize: 28 });
}

/**
 * A trained Glow as the checkpoint bytes `trainFlow` writes (its configuration in the metadata,
 * so `glowFromCheckpoint` rebuilds it), without the optimizer's state the page has no use for.
 */
export function encodeGlow(flow: Glow): Uint8Array {
  return encodeCheckpoint(flow, { model: flow.config });
}

/** A trained classifier as checkpoint bytes. */
export function encodeClassifier(model: LeNet5): Uint8Array {
  return encodeCheckpoint(model, {});
}

/** The Glow `encodeGlow` wrote, in eval mode; `source` names the file in errors. */
export function decodeGlow(bytes: Uint8Array, source: string): Glow {
  return glowFromCheckpoint(bytes, source).eval();
}

/** The classifier `encodeClassifier` wrote, in eval mode. */
export function decodeClassifier(bytes: Uint8Array, source: string): LeNet5 {
  const model = createClassifier(0);
  try {
    tf.dispose(Object.values(applyCheckpoint(decodeCheckpoint(bytes, source), model).tensors));
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}
