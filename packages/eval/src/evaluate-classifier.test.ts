import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  Rng,
  TinyClassifier,
  assertNoTensorLeak,
  crossEntropy,
  initBackend,
} from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateClassifier } from './evaluate-classifier';
import { accuracy } from './metrics';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const SIZE = 6;
const CLASSES = 3;

/** Two batches of 4 random images in [0, 0.9] (so +0.1 never clips) with one-hot labels. */
function testBatches(): Batch[] {
  const rng = new Rng(1);
  return [0, 1].map(() => ({
    x: rng.uniformTensor([4, SIZE, SIZE, 1], 0, 0.9) as tf.Tensor4D,
    y: tf.tidy(
      () => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), CLASSES), 'float32') as tf.Tensor2D,
    ),
  }));
}

/** Brightens every pixel by 0.1: a perturbation of known L∞ and L2 size. */
const brighten: Augmenter = {
  name: 'brighten',
  transform: (batch) => ({ x: tf.add(batch.x, 0.1) as tf.Tensor4D, y: batch.y }),
};

describe('evaluateClassifier', () => {
  let model: TinyClassifier;
  beforeAll(() => {
    model = new TinyClassifier({ inChannels: 1, numClasses: CLASSES, width: 4 });
  });

  it('matches metrics computed from the logits directly, and restores the training mode', () => {
    const reference = testBatches();
    const x = tf.concat(reference.map((b) => b.x)) as tf.Tensor4D;
    const y = tf.concat(reference.map((b) => b.y)) as tf.Tensor2D;
    const logits = model.logits(x, { training: false });
    const expectedAccuracy = accuracy(logits, y);
    const expectedLoss = crossEntropy(logits, y).dataSync()[0];
    tf.dispose([...reference.flatMap((b) => [b.x, b.y]), x, y, logits]);

    model.train();
    const result = evaluateClassifier(model, testBatches(), { topK: 2, eceBins: 10 });
    expect(model.training).toBe(true);
    expect(result.count).toBe(8);
    expect(result.accuracy).toBe(expectedAccuracy);
    expect(result.loss).toBeCloseTo(expectedLoss, 5);
    expect(result.topK.k).toBe(2);
    expect(result.topK.accuracy).toBeGreaterThanOrEqual(result.accuracy);
    expect(result.confusion.flat().reduce((a, b) => a + b)).toBe(8);
    expect(result.ece).toBeGreaterThanOrEqual(0);
    expect(result.attack).toBeUndefined();
  });

  it('scores an attack and measures how far it moved the images', () => {
    const result = evaluateClassifier(model, testBatches(), { attack: brighten });
    const attack = result.attack!;
    expect(attack.name).toBe('brighten');
    expect(attack.count).toBe(8);
    expect(attack.linf.mean).toBeCloseTo(0.1, 5);
    expect(attack.linf.max).toBeCloseTo(0.1, 5);
    expect(attack.l2.mean).toBeCloseTo(0.1 * SIZE, 5);
    const identity: Augmenter = { name: 'identity', transform: (batch) => batch };
    const unchanged = evaluateClassifier(model, testBatches(), { attack: identity }).attack!;
    expect(unchanged.accuracy).toBe(result.accuracy);
    expect(unchanged.linf.max).toBe(0);
  });

  it('leaves the model as it was when the attack runs it in training mode (BatchNorm statistics)', () => {
    const buffers = () => model.namedBuffers().map(([, v]) => Array.from(v.dataSync()));
    const before = buffers();
    const plain = evaluateClassifier(model, testBatches());
    // An attack that, like a bnMode 'train' latent attack, runs the classifier on batch statistics.
    const trainModeAttack: Augmenter = {
      name: 'train-mode',
      transform: (batch, ctx) => {
        ctx.model.logits(tf.mul(batch.x, 5) as tf.Tensor4D, { training: true });
        return batch;
      },
    };
    const result = evaluateClassifier(model, testBatches(), { attack: trainModeAttack });
    expect(buffers()).toEqual(before);
    expect(result.loss).toBe(plain.loss);
    expect(result.attack!.loss).toBe(plain.loss);
  });

  it('rejects an attack without a transform and an empty test set', () => {
    expect(() => evaluateClassifier(model, [], { attack: { name: 'losses-only' } })).toThrow(/no transform/);
    expect(() => evaluateClassifier(model, [])).toThrow(/no test batches/);
  });

  it('leaks no tensors and disposes the batches', async () => {
    await assertNoTensorLeak(() => evaluateClassifier(model, testBatches(), { attack: brighten }), {
      warmup: 1,
      iterations: 2,
    });
  });
});
