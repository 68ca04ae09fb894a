import * as tf from '@tensorflow/tfjs-core';
import {
  type Batch,
  type BuildEnvironment,
  type Classifier,
  TinyClassifier,
  assertNoTensorLeak,
  augmenters,
  createAugmenter,
  initBackend,
} from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { pixelPgd, pixelPgdDefinition } from './pixel-pgd';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, randomBatch, values } from './testing/fixtures';

describeAugmenter('pixelPgd (L∞, defaults)', () => pixelPgd());
describeAugmenter('pixelPgd (L2, 2 steps)', () =>
  pixelPgd({ norm: 'l2', epsilon: 0.5, stepSize: 0.3, steps: 2 }),
);
describeAugmenter(
  'pixelPgd (no random start, eval BN)',
  () => pixelPgd({ randomStart: false, bnMode: 'eval' }),
  { random: false },
);

/** Mean cross-entropy of `model` in eval mode. */
function evalLoss(model: Classifier, batch: Batch): number {
  const logits = model.logits(batch.x, { training: false });
  return tf.neg(tf.mean(tf.sum(tf.mul(batch.y, tf.logSoftmax(logits)), 1))).dataSync()[0];
}

/** Per-sample L∞ and L2 distances between two image batches. */
function distances(a: tf.Tensor4D, b: tf.Tensor4D): { linf: number[]; l2: number[] } {
  const d = tf.reshape(tf.sub(a, b), [a.shape[0], -1]);
  return { linf: values(tf.max(tf.abs(d), 1)), l2: values(tf.norm(d, 2, 1)) };
}

describe('pixelPgd', () => {
  let model: TinyClassifier;
  let batch: Batch;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
    batch = randomBatch(2, 8, 8);
  });

  it('stays within ε in L∞ and reaches its boundary', () => {
    const out = pixelPgd({ epsilon: 0.03, stepSize: 0.02, steps: 3 }).transform!(batch, contextFor(model, 1));
    const { linf } = distances(out.x, batch.x);
    for (const d of linf) {
      expect(d).toBeLessThanOrEqual(0.03 + 1e-6);
      expect(d).toBeGreaterThan(0.029);
    }
  });

  it('stays within ε in L2 and reaches its boundary', () => {
    const out = pixelPgd({ norm: 'l2', epsilon: 0.5, stepSize: 0.3, steps: 3 }).transform!(
      batch,
      contextFor(model, 2),
    );
    for (const d of distances(out.x, batch.x).l2) {
      expect(d).toBeLessThanOrEqual(0.5 + 1e-5);
      expect(d).toBeGreaterThan(0.4); // below 0.5 only where clamping to [0, 1] cut it
    }
  });

  it.each(['linf', 'l2'] as const)('leaves inputs unchanged with ε = 0 (%s)', (norm) => {
    const out = pixelPgd({ norm, epsilon: 0, steps: 2 }).transform!(batch, contextFor(model, 3));
    expect(values(out.x)).toEqual(values(batch.x));
  });

  it.each(['linf', 'l2'] as const)(
    'does not lower the attacked loss of a fixed model in one step (%s)',
    (norm) => {
      const attack = pixelPgd({
        norm,
        epsilon: norm === 'l2' ? 0.1 : 0.01,
        stepSize: norm === 'l2' ? 0.1 : 0.01,
        randomStart: false,
        labels: 'true',
        bnMode: 'eval',
      });
      const out = attack.transform!(batch, contextFor(model, 4));
      expect(evalLoss(model, out)).toBeGreaterThan(evalLoss(model, batch));
    },
  );

  it('never changes parameters, and moves BatchNorm statistics only in train mode', () => {
    const snapshot = () =>
      Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, values(v)]));
    const before = snapshot();
    pixelPgd({ bnMode: 'eval', steps: 2 }).transform!(batch, contextFor(model, 5));
    expect(snapshot()).toEqual(before);
    pixelPgd({ bnMode: 'train', steps: 2 }).transform!(batch, contextFor(model, 5));
    const after = snapshot();
    for (const [name] of model.namedParameters()) expect(after[name]).toEqual(before[name]);
    expect(after['bn1.runningMean']).not.toEqual(before['bn1.runningMean']);
  });

  it("attacks the model's own predictions with labels: 'predicted'", () => {
    const logits = model.logits(batch.x, { training: false });
    const ownLabels = {
      x: batch.x,
      y: tf.cast(tf.oneHot(tf.argMax(logits, 1), 10), 'float32') as tf.Tensor2D,
    };
    const options = { bnMode: 'eval', steps: 2 } as const;
    const predicted = pixelPgd({ ...options, labels: 'predicted' }).transform!(batch, contextFor(model, 6));
    const onOwnLabels = pixelPgd({ ...options, labels: 'true' }).transform!(ownLabels, contextFor(model, 6));
    expect(values(predicted.x)).toEqual(values(onOwnLabels.x));
    expect(values(predicted.y)).toEqual(values(batch.y)); // the training labels are returned unchanged
  });

  it('takes zero L2 steps, not NaN ones, where the gradient vanishes', () => {
    const flat = {
      logits: (x: tf.Tensor4D) => tf.mul(tf.ones([x.shape[0], 10]), tf.mul(tf.sum(x), 0)),
    } as unknown as Classifier;
    const out = pixelPgd({ norm: 'l2', epsilon: 0.5, randomStart: false }).transform!(
      batch,
      contextFor(flat, 7),
    );
    expect(values(out.x)).toEqual(values(batch.x));
  });

  it("'la-glow-baseline' is L∞, ε = α = 0.05, one step, as the defaults; other options override it", () => {
    const preset = pixelPgd({ preset: 'la-glow-baseline' }).transform!(batch, contextFor(model, 8));
    const explicit = pixelPgd({ norm: 'linf', epsilon: 0.05, stepSize: 0.05, steps: 1 }).transform!(
      batch,
      contextFor(model, 8),
    );
    expect(values(preset.x)).toEqual(values(explicit.x));
    const overridden = pixelPgd({ preset: 'la-glow-baseline', epsilon: 0 }).transform!(
      batch,
      contextFor(model, 8),
    );
    expect(values(overridden.x)).toEqual(values(batch.x));
  });

  it.each([
    [
      { preset: 'la-glow-baselin' },
      /"preset" is "la-glow-baselin" in pixelPgd options\. did you mean "la-glow-baseline"\?/,
    ],
    [{ norm: 'l1' }, /"norm" is "l1" in pixelPgd options\..* use one of linf, l2/],
    [{ epsilom: 0.1 }, /"epsilom" is not a setting of pixelPgd options\. did you mean "epsilon"\?/],
    [{ steps: 1.5 }, /"steps" is 1\.5 in pixelPgd options\. use a whole number/],
    [{ stepSize: -0.1 }, /"stepSize" is -0\.1 in pixelPgd options\. use a value ≥ 0/],
  ])('refuses %o in one line naming the setting', (options, message) => {
    expect(() => pixelPgd(options as never)).toThrow(message);
  });

  it("is registered for configs, built through core's registry", () => {
    const env: BuildEnvironment = {
      augmenter: () => {
        throw new Error('no nested augmenters here');
      },
      shared: (_key, build) => build(),
    };
    expect(augmenters.get('pixelPgd')).toBe(pixelPgdDefinition);
    const attack = createAugmenter(pixelPgdDefinition, { preset: 'la-glow-baseline', name: 'pgd' }, env);
    expect(attack.name).toBe('pgd');
    expect(values(attack.transform!(batch, contextFor(model, 8)).x)).toEqual(
      values(pixelPgd().transform!(batch, contextFor(model, 8)).x),
    );
  });

  it('leaks no tensors, whatever the label mode', async () => {
    for (const labels of ['predicted', 'true'] as const) {
      const attack = pixelPgd({ labels, steps: 3, bnMode: 'eval' });
      // The labels are the batch's own; only the attacked images are new.
      await assertNoTensorLeak(() => attack.transform!(batch, contextFor(model, 9)).x.dispose());
    }
  });
});

describe("pixelPgd as a setting of core's PGD loop", () => {
  /** A position-weighted sum: equal only when every value is. */
  const checksum = (t: tf.Tensor) =>
    Array.from(t.dataSync()).reduce((sum, v, i) => sum + v * ((i % 97) + 1), 0);

  it.each([
    [{}, 38175.95797013119, 39.730647845193744],
    [
      { norm: 'l2', epsilon: 0.5, stepSize: 0.2, steps: 3, labels: 'true', bnMode: 'eval' },
      38735.545749043114,
      41.10019114241004,
    ],
    [{ epsilon: 0.03, stepSize: 0.01, steps: 4, randomStart: false }, 38277.20615189336, 38.150671143084764],
  ] as const)('gives the numbers of the loop it replaced (%o)', (options, images, state) => {
    const model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
    const out = pixelPgd(options).transform!(randomBatch(2, 8, 8), contextFor(model, 9));
    expect(checksum(out.x)).toBe(images);
    // In train mode the BatchNorm statistics moved exactly as before too.
    expect(Object.values(model.stateDict()).reduce((sum, t) => sum + checksum(t), 0)).toBe(state);
  });
});
