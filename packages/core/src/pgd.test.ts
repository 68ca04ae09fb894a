import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { perturbationNorms } from './adversarial';
import { initBackend } from './backend';
import { assertNoTensorLeak } from './leaks';
import { parseOptions, z } from './options';
import { LA_GLOW_PGD, type PgdSettings, type PgdSteps, classifierPgd, pgd, pgdAugmenterShape } from './pgd';
import type { ForwardOptions } from './plugin';
import { withPresets } from './presets';
import { Rng } from './rng';
import { TinyClassifier } from './testing/tiny-classifier';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const steps = (overrides: Partial<PgdSteps> = {}): PgdSteps => ({
  norm: 'linf',
  epsilon: 0.5,
  stepSize: 0.2,
  steps: 3,
  randomStart: false,
  ...overrides,
});

/** Loss Σ w·δ over two parts: its gradient is w, so every step is predictable. */
function linearProblem() {
  const weights = [tf.tensor2d([[1, -2, 0]]), tf.tensor2d([[0.5]])];
  return {
    parts: weights,
    around: 'origin' as const,
    loss: (values: tf.Tensor[]) => tf.addN(values.map((v, i) => tf.sum(tf.mul(v, weights[i])))) as tf.Scalar,
  };
}

describe('pgd', () => {
  it('takes sign steps of α over every part and clips them to the L∞ box', () => {
    const [a, b] = pgd(linearProblem(), steps(), new Rng(0));
    // 3 steps of 0.2 = 0.6, clipped to 0.5; a zero gradient stays put.
    expect(Array.from(a.dataSync())).toEqual([0.5, -0.5, 0]);
    expect(Array.from(b.dataSync())).toEqual([0.5]);
  });

  it('takes unit steps in L2 jointly over the parts and stays in the ball', () => {
    const deltas = pgd(linearProblem(), steps({ norm: 'l2', epsilon: 1, stepSize: 0.3 }), new Rng(0));
    expect(perturbationNorms(deltas, 'l2').dataSync()[0]).toBeCloseTo(0.9, 5);
    const far = pgd(linearProblem(), steps({ norm: 'l2', epsilon: 0.5, stepSize: 0.3 }), new Rng(0));
    expect(perturbationNorms(far, 'l2').dataSync()[0]).toBeCloseTo(0.5, 5);
  });

  it('does not project with an infinite ε', () => {
    const [a] = pgd(linearProblem(), steps({ epsilon: Infinity }), new Rng(0));
    expect(Array.from(a.dataSync())).toEqual(Array.from(new Float32Array([0.6, -0.6, 0])));
  });

  it('searches the point around the parts, constrained after each projection', () => {
    const x = tf.tensor2d([[0.9, 0.1]]);
    const [point] = pgd(
      {
        parts: [x],
        around: 'parts',
        loss: ([v]) => tf.sum(v) as tf.Scalar,
        constrain: (values) => values.map((v) => tf.clipByValue(v, 0, 1)),
      },
      steps({ epsilon: 0.3, stepSize: 0.2, steps: 2 }),
    );
    // x + 0.3 along the gradient, then clamped to [0, 1].
    expect(Array.from(point.dataSync())).toEqual(Array.from(new Float32Array([1, 0.4])));
  });

  it('draws its random start per part from the stream, and needs a stream and a finite ε for it', () => {
    const start = (seed: number) =>
      pgd(linearProblem(), steps({ steps: 0, randomStart: true }), new Rng(seed)).map((t) =>
        Array.from(t.dataSync()),
      );
    expect(start(1)).toEqual(start(1));
    expect(start(1)).not.toEqual(start(2));
    for (const value of start(1).flat()) expect(Math.abs(value)).toBeLessThanOrEqual(0.5);
    expect(() => pgd(linearProblem(), steps({ randomStart: true }))).toThrow(/needs a seeded Rng/);
    expect(() => pgd(linearProblem(), steps({ randomStart: true, epsilon: Infinity }), new Rng(0))).toThrow(
      /needs a finite epsilon/,
    );
  });

  it('keeps memory flat over many steps and leaks nothing, outside any scope', async () => {
    const problem = linearProblem();
    await assertNoTensorLeak(() =>
      tf.dispose(pgd(problem, steps({ steps: 20, randomStart: true }), new Rng(0))),
    );
  });
});

describe('classifierPgd', () => {
  const model = () => new TinyClassifier({ numClasses: 3, width: 4, seed: 1 });
  const batch = () => {
    const x = new Rng(2).uniformTensor([4, 8, 8, 1]) as tf.Tensor4D;
    return { x, y: tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), 'float32') as tf.Tensor2D };
  };
  const settings = (overrides: Partial<PgdSettings>): PgdSettings => ({
    ...steps({ epsilon: 0.1, stepSize: 0.05 }),
    labels: 'true',
    bnMode: 'eval',
    ...overrides,
  });
  const pixels = (classifier: TinyClassifier) => ({
    parts: [] as tf.Tensor[],
    around: 'parts' as const,
    logits: ([x]: tf.Tensor[], options: { training: boolean }) =>
      classifier.logits(x as tf.Tensor4D, options),
  });
  /** The attacked images' values (the tensor is freed). */
  const attack = (
    classifier: TinyClassifier,
    b: ReturnType<typeof batch>,
    overrides: Partial<PgdSettings>,
  ) => {
    const target = { ...pixels(classifier), parts: [b.x] };
    const [images] = classifierPgd(classifier, b, settings(overrides), target, new Rng(3));
    const values = Array.from(images.dataSync());
    images.dispose();
    return values;
  };

  it("attacks the classifier's own predictions with labels: 'predicted'", () => {
    const classifier = model();
    const b = batch();
    const logits = classifier.logits(b.x, { training: false });
    const own = tf.cast(tf.oneHot(tf.argMax(logits, 1), 3), 'float32') as tf.Tensor2D;
    expect(attack(classifier, b, { labels: 'predicted' })).toEqual(
      attack(classifier, { x: b.x, y: own }, {}),
    );
    expect(attack(classifier, b, { labels: 'predicted' })).not.toEqual(attack(classifier, b, {}));
  });

  it("moves BatchNorm's running statistics only in bnMode 'train', the label prediction included", () => {
    const classifier = model();
    const b = batch();
    const statistics = () => Array.from(classifier.stateDict()['bn1.runningMean'].dataSync());
    const before = statistics();
    attack(classifier, b, { labels: 'predicted', bnMode: 'eval' });
    expect(statistics()).toEqual(before);
    attack(classifier, b, { labels: 'predicted', bnMode: 'train' });
    expect(statistics()).not.toEqual(before);
  });

  it('gives every forward pass the attacked targets and the forward child of its stream', () => {
    const classifier = model();
    const b = batch();
    const seen: ForwardOptions[] = [];
    const target = {
      parts: [b.x],
      around: 'parts' as const,
      logits: ([x]: tf.Tensor[], options: ForwardOptions) => {
        seen.push(options);
        return classifier.logits(x as tf.Tensor4D, options);
      },
    };
    tf.dispose(classifierPgd(classifier, b, settings({}), target, new Rng(3)));
    expect(seen.length).toBe(3);
    for (const options of seen) {
      expect(options.targets).toBe(b);
      expect(options.rng!.seed).toBe(new Rng(3).child('forward').seed);
    }
  });

  it('needs the images only to predict labels', () => {
    const classifier = model();
    const b = batch();
    const target = { ...pixels(classifier), parts: [b.x] };
    expect(() => classifierPgd(classifier, { y: b.y }, settings({ labels: 'predicted' }), target)).toThrow(
      /needs the batch's images/,
    );
    expect(classifierPgd(classifier, { y: b.y }, settings({}), target)[0].shape).toEqual(b.x.shape);
  });

  it('leaks no tensors, predicted labels included', async () => {
    const classifier = model();
    const b = batch();
    await assertNoTensorLeak(() => attack(classifier, b, { labels: 'predicted', randomStart: true }));
  });
});

describe('PGD options with presets', () => {
  const presets = {
    strong: { epsilon: 0.3, steps: 5 },
  } as const;
  const schema = withPresets(
    presets,
    z.strictObject(pgdAugmenterShape('attack', presets, { ...LA_GLOW_PGD, stepSize: 0.02 })),
  );
  const parse = (raw: unknown) => parseOptions(schema, raw, 'attack options');

  it('fills in the defaults, lays a preset under the given options, and checks the result', () => {
    expect(parse({})).toMatchObject({ epsilon: 0.05, steps: 1, labels: 'predicted', bnMode: 'train' });
    expect(parse({ preset: 'strong' })).toMatchObject({
      epsilon: 0.3,
      steps: 5,
      stepSize: 0.02,
      name: 'attack',
    });
    expect(parse({ preset: 'strong', steps: 2, epsilon: undefined })).toMatchObject({
      epsilon: 0.3,
      steps: 2,
    });
  });

  it.each([
    [{ preset: 'strongg' }, /"preset" is "strongg" in attack options\. did you mean "strong"\?/],
    [{ stepsize: 1 }, /"stepsize" is not a setting of attack options\. did you mean "stepSize"\?/],
    [{ preset: 'strong', steps: 0.5 }, /"steps" is 0\.5 in attack options\. use a whole number/],
    [{ epsilon: -1 }, /"epsilon" is -1 in attack options\. use a value ≥ 0/],
    [{ labels: 'tru' }, /"labels" is "tru" in attack options\. did you mean "true"\?/],
  ])('refuses %o in one line', (raw, message) => {
    expect(() => parse(raw)).toThrow(message);
  });

  it('shows editors the options object, not the preset step', () => {
    const json = z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, unknown> };
    expect(Object.keys(json.properties)).toContain('preset');
    expect(Object.keys(json.properties)).toContain('bnMode');
  });
});
