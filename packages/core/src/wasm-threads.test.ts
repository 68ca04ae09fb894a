import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
// The Node entry's threaded wasm start, as `@perturb/core` registers it in Node.
import './node-platform';
import { threadShimSupports } from './wasm-threads';

/** One conv → matMul → loss gradient: exercises XNNPACK's threaded convolution and GEMM. */
function convStepGradient(): Float32Array {
  return tf
    .tidy(() => {
      const x = tf.randomNormal<tf.Rank.R4>([8, 12, 12, 4], 0, 1, 'float32', 1);
      const w = tf.randomNormal<tf.Rank.R4>([3, 3, 4, 16], 0, 0.2, 'float32', 2);
      const head = tf.randomNormal<tf.Rank.R2>([144 * 16, 10], 0, 0.05, 'float32', 3);
      const loss = (filter: tf.Tensor) =>
        tf.mean(
          tf.square(
            tf.matMul(tf.reshape(tf.relu(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same')), [8, -1]), head),
          ),
        );
      return tf.grad(loss)(w);
    })
    .dataSync() as Float32Array;
}

describe('the multi-threaded wasm backend under Node', () => {
  const globalsBefore = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, cpus: os.cpus };

  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, env: {}, log: false });
  });

  it('starts with the requested XNNPACK threads', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(getThreadsCount()).toBe(2);
  });

  it('computes what the cpu backend computes', async () => {
    const threaded = convStepGradient();
    await tf.setBackend('cpu');
    const reference = convStepGradient();
    await tf.setBackend('wasm');
    let worst = 0;
    for (let i = 0; i < reference.length; i++)
      worst = Math.max(worst, Math.abs(threaded[i]! - reference[i]!));
    expect(worst).toBeLessThan(1e-5);
    expect(convStepGradient()).toEqual(threaded);
  });

  it('is used only with the tfjs-backend-wasm versions it was written for', () => {
    expect(threadShimSupports('4.22.0')).toBe(true);
    expect(threadShimSupports('4.23.0')).toBe(false);
    expect(threadShimSupports(undefined)).toBe(false);
  });

  it('restores the globals it patched while starting', () => {
    expect(globalThis.Blob).toBe(globalsBefore.Blob);
    expect(URL.createObjectURL).toBe(globalsBefore.createObjectURL);
    expect(os.cpus).toBe(globalsBefore.cpus);
    expect('Worker' in globalThis).toBe(false);
  });
});
