import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { centerCrop, cutmix, cutout, horizontalFlip, mixup, pipeline, randomCrop, resize } from './index';

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

  it('resizes and centre-crops images and label maps alike on wasm and cpu', () => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const rng = new Rng(3);
        const batch = {
          x: rng.uniformTensor([2, 6, 6, 1]) as tf.Tensor4D,
          y: tf.tensor2d([
            [1, 0],
            [0, 1],
          ]),
          labelMap: {
            classes: tf.tensor3d(
              Array.from({ length: 72 }, (_, i) => i % 7),
              [2, 6, 6],
              'int32',
            ),
            ignoreIndex: 255,
          },
        };
        const out = pipeline([resize({ size: [9, 4] }), centerCrop({ size: 3 })]).transform!(batch, {
          model: null as never,
          rng: new Rng(0),
          step: 0,
          epoch: 0,
        });
        return [Array.from(out.x.dataSync()), Array.from(out.labelMap!.classes.dataSync())];
      });
    };
    const [wasm, cpu] = [run('wasm'), run('cpu')];
    expect(wasm[1]).toEqual(cpu[1]);
    expect(Math.max(...wasm[0].map((v, i) => Math.abs(v - cpu[0][i])))).toBeLessThan(1e-6);
  });
});
