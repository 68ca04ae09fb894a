import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, initBackend } from './backend';
// The Node entry's threaded wasm start, as `@perturb/core` registers it in Node.
import './node-platform';

/** A loader where only `installed` packages exist; "native" ones register a cpu backend as 'tensorflow'. */
function fakeLoader(installed: string[], loaded: string[] = []) {
  return async (name: string) => {
    loaded.push(name);
    if (!installed.includes(name)) {
      throw Object.assign(new Error(`Cannot find package '${name}' imported from x`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    }
    if (name.startsWith('@tensorflow/tfjs-node')) {
      if (!tf.findBackendFactory('tensorflow')) tf.registerBackend('tensorflow', () => new MathBackendCPU());
      return {};
    }
    return import(name);
  };
}

describe('initBackend', () => {
  it('prefers tfjs-node-gpu, then tfjs-node, then wasm, then cpu', () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
  });

  it('falls through absent native packages to wasm, saying why', async () => {
    const loaded: string[] = [];
    const info = await initBackend({
      load: fakeLoader(['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'], loaded),
      env: {},
      log: false,
    });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.threads).toBe(Math.min(availableParallelism(), 8)); // one per core by default
    expect(loaded).toEqual([
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
    ]);
    expect(info.skipped).toEqual([
      { name: 'tensorflow-gpu', reason: 'not installed' },
      { name: 'tensorflow', reason: 'not installed' },
    ]);
  });

  it('picks tfjs-node when it is installed and the GPU build is not', async () => {
    const info = await initBackend({
      backend: undefined,
      order: BACKEND_ORDER,
      load: fakeLoader(['@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']),
      env: { PERTURB_BACKEND: 'tensorflow' },
      log: false,
    });
    expect(info.name).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('fails clearly when PERTURB_BACKEND forces a backend that is not installed', async () => {
    await expect(
      initBackend({ load: fakeLoader([]), env: { PERTURB_BACKEND: 'tensorflow-gpu' }, log: false }),
    ).rejects.toThrow(
      'the tensorflow-gpu backend was asked for by PERTURB_BACKEND but not installed. run `npm install @tensorflow/tfjs-node-gpu`, or choose another backend',
    );
    await expect(initBackend({ env: { PERTURB_BACKEND: 'webgpu' }, log: false })).rejects.toThrow(
      /PERTURB_BACKEND="webgpu" is not a backend perturb knows/,
    );
  });

  it('picks tfjs-node-gpu first when it is installed', async () => {
    const info = await initBackend({
      backend: 'tensorflow-gpu',
      load: fakeLoader(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']),
      env: {},
      log: false,
    });
    expect(info.name).toBe('tensorflow-gpu');
    expect(info.packageName).toBe('@tensorflow/tfjs-node-gpu');
  });

  it('honours PERTURB_BACKEND=cpu with the real packages', async () => {
    const info = await initBackend({ env: { PERTURB_BACKEND: 'cpu' }, log: false });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('wasm thread counts', () => {
  it('rejects counts it cannot use, naming where they came from', async () => {
    await expect(initBackend({ backend: 'wasm', threads: 0, env: {}, log: false })).rejects.toThrow(
      'threads: 0 is not a thread count perturb can use. give a whole number from 1 to 8',
    );
    await expect(
      initBackend({ backend: 'wasm', env: { PERTURB_WASM_THREADS: 'two' }, log: false }),
    ).rejects.toThrow(/PERTURB_WASM_THREADS="two" is not a thread count/);
  });
});
