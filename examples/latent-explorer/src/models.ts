/** The two models the page uses, their sizes and how they travel as files. */
import { decodeSafetensors, encodeSafetensors, type Module, PerturbError, Rng } from '@perturb/core';
import { LeNet5 } from '@perturb/classifiers';
import { Glow, type GlowConfig } from '@perturb/flows';
import * as tf from '@tensorflow/tfjs-core';

/** A Glow small enough to train in minutes on a CPU and to ship with the page (~40 k parameters). */
export const GLOW_SIZE = { levels: 2, steps: 4, hidden: 32 } as const;

/** Fashion-MNIST: 28×28 grey images of 10 classes. */
export const IMAGE_SHAPE = [28, 28, 1] as const;
export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** The classifier of both panels: LeNet-5 on 28×28 grey images (61 k parameters, no BatchNorm). */
export function createClassifier(seed: number): LeNet5 {
  return new LeNet5({ rng: new Rng(seed).child('classifier'), numClasses: 10, inChannels: 1, inputSize: 28 });
}

const GLOW_KEY = 'glow';

/** A trained Glow as safetensors bytes, its configuration in the metadata. */
export function encodeGlow(flow: Glow): Uint8Array {
  return encodeSafetensors(flow.stateDict(), { [GLOW_KEY]: JSON.stringify(flow.config) });
}

/** A trained classifier as safetensors bytes. */
export function encodeClassifier(model: Module): Uint8Array {
  return encodeSafetensors(model.stateDict());
}

/** The Glow `encodeGlow` wrote, in eval mode; `source` names the file in errors. */
export function decodeGlow(bytes: Uint8Array, source: string): Glow {
  return loadInto(bytes, source, (metadata) => {
    const text = metadata[GLOW_KEY];
    if (typeof text !== 'string') {
      throw new PerturbError(
        `${source} holds no Glow configuration`,
        'write it with `npm run train-weights -w examples/latent-explorer`',
      );
    }
    const { seed, ...options } = JSON.parse(text) as GlowConfig;
    return new Glow({ ...options, rng: new Rng(seed) });
  }).eval();
}

/** The classifier `encodeClassifier` wrote, in eval mode. */
export function decodeClassifier(bytes: Uint8Array, source: string): LeNet5 {
  return loadInto(bytes, source, () => createClassifier(0)).eval();
}

function loadInto<M extends Module>(
  bytes: Uint8Array,
  source: string,
  build: (metadata: Record<string, string>) => M,
): M {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  try {
    const module = build(metadata);
    try {
      module.loadStateDict(tensors);
    } catch (error) {
      module.dispose();
      throw error;
    }
    return module;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
