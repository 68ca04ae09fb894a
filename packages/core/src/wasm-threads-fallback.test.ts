import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type * as WorkerThreads from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from './backend';
// The Node entry's threaded wasm start, as `@perturb/core` registers it in Node.
import './node-platform';
import { withWasmThreadSupport } from './wasm-threads';

// Every worker the thread shim creates runs a script that throws, as a platform without working
// worker threads would.
vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof WorkerThreads>();
  class FailingWorker extends actual.Worker {
    constructor() {
      super('throw new Error("simulated worker failure")', { eval: true });
    }
  }
  return { ...actual, Worker: FailingWorker };
});

describe('a threaded wasm start that fails', () => {
  it('falls back to the single-threaded build, says why, and trains', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 2, env: {}, log: false });
    expect(info.name).toBe('wasm');
    expect(info.threads).toBe(1);
    expect(info.threadFailure).toMatch(/a worker thread failed to start: simulated worker failure/);
    expect(getThreadsCount()).toBe(1);
    const gradient = tf.tidy(() =>
      tf
        .grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]))
        .arraySync(),
    );
    expect(gradient).toEqual([2, 4, 6]);
  });

  it('rejects a start that does not finish in time', async () => {
    const never = () => new Promise<boolean>(() => {});
    await expect(withWasmThreadSupport(2, never, 50)).rejects.toThrow(/not ready after 0.05 s/);
  });
});
