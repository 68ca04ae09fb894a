import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from './backend';

afterEach(() => vi.restoreAllMocks());

describe('the tfjs start-up greeting', () => {
  it('is not printed on the cpu backend, and later tfjs warnings still are', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await initBackend({ backend: 'cpu', log: false });
    expect(tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0])).toBe(3);
    expect(warn).not.toHaveBeenCalled();
    expect(tf.env().getBool('PROD')).toBe(false);

    // A real warning: tfjs refuses a kernel registered twice.
    const kernel = { kernelName: 'PerturbGreetingTest', backendName: 'cpu', kernelFunc: () => [] };
    tf.registerKernel(kernel);
    tf.registerKernel(kernel);
    tf.unregisterKernel(kernel.kernelName, kernel.backendName);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("'PerturbGreetingTest'"));
  });
});
