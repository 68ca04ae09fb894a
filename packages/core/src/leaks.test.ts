import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { assertNoTensorLeak, tensorCountsAcross } from './leaks';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('leak guard', () => {
  it('passes a tidy step and catches a leaking one', async () => {
    await expect(
      assertNoTensorLeak(() => tf.tidy(() => void tf.add(tf.ones([3]), 1))),
    ).resolves.toBeUndefined();
    const kept: tf.Tensor[] = [];
    await expect(assertNoTensorLeak(() => kept.push(tf.ones([3])))).rejects.toThrow(/tensor leak/);
    expect(await tensorCountsAcross(() => undefined, { iterations: 2 })).toHaveLength(2);
    tf.dispose(kept);
  });
});
