import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutmix, cutout, horizontalFlip, mixup, pipeline, randomCrop } from './index';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', log: false });
});

/** Runs the classic augmenters on `backend` from the same seeds. */
function augmentOn(backend: string): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const rng = new Rng(1);
    const x = rng.uniformTensor([16, 8, 8, 1]) as tf.Tensor4D;
    const y = tf.cast(
      tf.oneHot(
        Array.from({ length: 16 }, (_, i) => i % 10),
        10,
      ),
      'float32',
    ) as tf.Tensor2D;
    const augment = pipeline([randomCrop(), horizontalFlip(), cutout(), mixup(), cutmix()]);
    const out = augment.transform!({ x, y }, { model: null as never, rng: new Rng(2), step: 0, epoch: 0 });
    return out.x.dataSync() as Float32Array;
  });
}

describe('backends', () => {
  // The fast path of most users has no test of its own otherwise: wasm kernels differ from cpu's
  // (tfjs-wasm's batched gather once read out of bounds in randomCrop).
  it('gives the same images on wasm as on cpu', () => {
    const wasm = augmentOn('wasm');
    const cpu = augmentOn('cpu');
    expect(wasm.length).toBe(cpu.length);
    expect(Math.max(...wasm.map((v, i) => Math.abs(v - cpu[i])))).toBeLessThan(1e-6);
  });
});
