import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  Rng,
  TinyClassifier,
  assertNoTensorLeak,
  crossEntropy,
  initBackend,
  perturbationNorms,
} from '@perturb/core';
import { Glow } from '@perturb/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LatentAdversarialOptions, latentAdversarial, latentRandom } from './index';

let flow: Glow;
let model: TinyClassifier;
let batch: Batch;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  const rng = new Rng(1);
  flow = new Glow({ inputShape: [8, 8, 1], levels: 2, steps: 2, hidden: 8, rng: rng.child('flow') });
  const x = tf.tidy(() =>
    tf.clipByValue(tf.add(rng.uniformTensor([6, 8, 8, 1], 0.2, 0.8), 0), 0, 1),
  ) as tf.Tensor4D;
  flow.initialize(x);
  model = new TinyClassifier({ numClasses: 3, seed: 2 });
  batch = { x, y: tf.tidy(() => tf.cast(tf.oneHot([0, 1, 2, 0, 1, 2], 3), 'float32')) as tf.Tensor2D };
});

const ctx = (seed = 5) => ({ model, rng: new Rng(seed), step: 0, epoch: 0 });
const run = (augmenter: Augmenter, seed = 5) => augmenter.transform!(batch, ctx(seed));
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('latentRandom', () => {
  it('with ε = 0 gives back the input up to flow round-off', () => {
    expect(maxAbsDiff(run(latentRandom({ flow, epsilon: 0 })).x, batch.x)).toBeLessThan(1e-4);
  });

  it('projects δ onto the L2 ball and changes the images', () => {
    const out = run(latentRandom({ flow, epsilon: 0.5, projection: 'l2' }));
    expect(maxAbsDiff(out.x, batch.x)).toBeGreaterThan(1e-3);
    expect(tf.min(out.x).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.max(out.x).dataSync()[0]).toBeLessThanOrEqual(1);
  });

  it('repeats exactly for a seed and differs for another; ratio 0 changes nothing', () => {
    const aug = latentRandom({ flow, epsilon: 0.3 });
    expect(Array.from(run(aug, 1).x.dataSync())).toEqual(Array.from(run(aug, 1).x.dataSync()));
    expect(maxAbsDiff(run(aug, 1).x, run(aug, 2).x)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(run(latentRandom({ flow, epsilon: 0.3, ratio: 0 })).x, batch.x)).toBe(0);
  });

  it('rejects bad options with the fix', () => {
    expect(() => latentRandom({ flow, epsilon: -1 })).toThrow(
      /"epsilon" is -1 in latentRandom options\. use a value ≥ 0/,
    );
    expect(() => latentRandom({ flow, ratio: 2 })).toThrow(
      /"ratio" is 2 in latentRandom options\. use a value ≤ 1/,
    );
    expect(() => latentRandom({ flow, projection: 'l1' as 'l2' })).toThrow(/use one of none, l2, linf/);
  });
});

describe('latentAdversarial', () => {
  const attackLoss = (x: tf.Tensor4D) =>
    tf.tidy(() => crossEntropy(model.logits(x, { training: false }), batch.y).dataSync()[0]);

  it('with ε = 0 gives back the input up to flow round-off', () => {
    const out = run(latentAdversarial({ flow, epsilon: 0, steps: 2, bnMode: 'eval' }));
    expect(maxAbsDiff(out.x, batch.x)).toBeLessThan(1e-4);
  });

  it('each PGD step does not lower the attacked loss of a fixed model', () => {
    const losses = [0, 1, 2, 3].map((steps) =>
      attackLoss(
        run(
          latentAdversarial({
            flow,
            norm: 'l2',
            epsilon: 2,
            stepSize: 0.3,
            steps,
            randomStart: false,
            labels: 'true',
            bnMode: 'eval',
          }),
        ).x,
      ),
    );
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeGreaterThanOrEqual(losses[i - 1] - 1e-6);
    expect(losses[3]).toBeGreaterThan(losses[0]);
  });

  it('keeps δ inside the L∞ and L2 balls', () => {
    for (const norm of ['linf', 'l2'] as const) {
      const epsilon = 0.1;
      const aug = latentAdversarial({ flow, norm, epsilon, stepSize: 1, steps: 2, bnMode: 'eval' });
      const out = run(aug);
      const deltas = tf.tidy(() => {
        const before = flow.encode(batch.x).latents;
        const after = flow.encode(out.x).latents;
        return after.map((z, i) => tf.sub(z, before[i]));
      });
      // The images lie in [0.2, 0.8] and ε is small, so x' is not clamped and F(x') − F(x) is δ itself.
      const norms = perturbationNorms(deltas, norm).arraySync();
      for (const n of norms) expect(n).toBeLessThanOrEqual(epsilon * 1.01 + 1e-4);
    }
  });

  it("does not change the classifier's parameters and repeats exactly for a seed", () => {
    const before = model.parameters().map((p) => Array.from(p.dataSync()));
    const aug = latentAdversarial({ flow, steps: 2 });
    const a = Array.from(run(aug, 3).x.dataSync());
    expect(Array.from(run(aug, 3).x.dataSync())).toEqual(a);
    expect(model.parameters().map((p) => Array.from(p.dataSync()))).toEqual(before);
    expect(maxAbsDiff(batch.x, run(aug, 3).x)).toBeGreaterThan(0);
  });

  it('leaks no tensors', async () => {
    const aug = latentAdversarial({ flow, steps: 2, ratio: 0.5 });
    await assertNoTensorLeak(() => tf.tidy(() => void run(aug)));
  });

  it('starts from a named preset, overridden by the options beside it, and rejects an unknown one', () => {
    const fromPreset = (options: Omit<LatentAdversarialOptions, 'flow'>) =>
      Array.from(run(latentAdversarial({ flow, ...options })).x.dataSync());
    const explicit = { norm: 'l2', epsilon: 1, stepSize: 0.5, steps: 1 } as const;
    expect(fromPreset({ preset: 'cifar10-paper', steps: 1 })).toEqual(fromPreset(explicit));
    expect(() => latentAdversarial({ flow, preset: 'imagenet' as never })).toThrow(
      /"preset" is "imagenet" in latentAdversarial options\. use one of flow-lp, cifar10-paper, mnist/,
    );
    expect(() => latentAdversarial({ flow, stepsize: 1 } as never)).toThrow(/did you mean "stepSize"\?/);
  });

  /** A position-weighted sum: equal only when every value is. */
  const checksum = (t: tf.Tensor) =>
    Array.from(t.dataSync()).reduce((sum, v, i) => sum + v * ((i % 97) + 1), 0);

  it.each([
    [{ steps: 2 }, 9359.273366451263, -136.34224448827445],
    [{ preset: 'cifar10-paper' }, 9395.61803495884, -139.16639432412921],
    [{ preset: 'mnist', bnMode: 'eval', randomStart: false }, 9221.614234983921, -125.80005743456422],
  ] as const)(
    "gives the numbers of the loop it replaced, as a setting of core's PGD (%o)",
    (options, images, state) => {
      const fresh = new TinyClassifier({ numClasses: 3, seed: 2 });
      const out = latentAdversarial({ flow, ...options }).transform!(batch, {
        model: fresh,
        rng: new Rng(5),
        step: 0,
        epoch: 0,
      });
      expect(checksum(out.x)).toBe(images);
      expect(Object.values(fresh.stateDict()).reduce((sum, t) => sum + checksum(t), 0)).toBe(state);
    },
  );
});
