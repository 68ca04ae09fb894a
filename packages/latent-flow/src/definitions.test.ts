import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BuildEnvironment,
  Rng,
  TinyClassifier,
  augmenters,
  createAugmenter,
  initBackend,
} from '@perturb/core';
import { saveCheckpoint } from '@perturb/core/node';
import { Glow } from '@perturb/flows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latentAdversarial, latentAdversarialDefinition, latentRandomDefinition } from './index';

const dir = mkdtempSync(join(tmpdir(), 'latent-flow-'));
const path = join(dir, 'checkpoint.safetensors');
let flow: Glow;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  flow = new Glow({ inputShape: [8, 8, 1], levels: 2, steps: 1, hidden: 4, rng: new Rng(1) });
  flow.initialize(new Rng(2).uniformTensor([4, 8, 8, 1], 0.2, 0.8) as tf.Tensor4D);
  saveCheckpoint(path, flow, { model: flow.config });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A build environment that counts loads and disposals of shared values. */
function countingEnvironment() {
  const values = new Map<string, unknown>();
  const disposers: Array<() => void> = [];
  let builds = 0;
  const env: BuildEnvironment = {
    augmenter: () => {
      throw new Error('no nested augmenters here');
    },
    shared<T>(key: string, build: () => T, dispose?: (value: T) => void): T {
      if (!values.has(key)) {
        builds++;
        const value = build();
        values.set(key, value);
        if (dispose) disposers.push(() => dispose(value));
      }
      return values.get(key) as T;
    },
    readFile: (path) => (existsSync(path) ? readFileSync(path) : undefined),
  };
  return { env, builds: () => builds, dispose: () => disposers.forEach((d) => d()) };
}

describe('latentRandom and latentAdversarial in configs', () => {
  it('are registered on import', () => {
    expect(augmenters.get('latentRandom')).toBe(latentRandomDefinition);
    expect(augmenters.get('latentAdversarial')).toBe(latentAdversarialDefinition);
  });

  it('load the flow their path names once, through the environment, and attack as the factory does', () => {
    const { env, builds, dispose } = countingEnvironment();
    const options = { flow: path, preset: 'mnist', bnMode: 'eval' };
    const built = createAugmenter(latentAdversarialDefinition, options, env);
    createAugmenter(latentRandomDefinition, { flow: path, epsilon: 0.1 }, env);
    expect(builds()).toBe(1);
    const model = new TinyClassifier({ numClasses: 2, seed: 3 });
    const batch = {
      x: new Rng(4).uniformTensor([2, 8, 8, 1], 0.2, 0.8) as tf.Tensor4D,
      y: tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    };
    const ctx = () => ({ model, rng: new Rng(5), step: 0, epoch: 0 });
    const direct = latentAdversarial({ flow, preset: 'mnist', bnMode: 'eval' }).transform!(batch, ctx());
    expect(Array.from(built.transform!(batch, ctx()).x.dataSync())).toEqual(Array.from(direct.x.dataSync()));
    dispose();
  });

  it.each([
    ['latentAdversarial', { preset: 'mnist' }, /"flow" is missing in latentAdversarial options/],
    ['latentAdversarial', { flow: 'f', presett: 'mnist' }, /did you mean "preset"\?/],
    [
      'latentRandom',
      { flow: 'f', epsilon: 'big' },
      /"epsilon" is "big" in latentRandom options\. use a number/,
    ],
  ])('%s refuses %o in one line, before loading anything', (name, options, message) => {
    const { env, builds } = countingEnvironment();
    expect(() => createAugmenter(augmenters.get(name), options, env)).toThrow(message);
    expect(builds()).toBe(0);
  });
});
