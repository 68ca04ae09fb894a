import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { horizontalFlip, pipeline, randomCrop } from '@perturb/augmenters';
import { lalfa } from '@perturb/afan';
import {
  type Augmenter,
  type Batch,
  type ForwardOptions,
  type Module,
  Rng,
  TinyClassifier,
  type TrainData,
  initBackend,
  readMetrics,
} from '@perturb/core';
import { readCheckpoint, runFolder } from '@perturb/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { train, type TrainOptions } from './trainer';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const SIZE = 8;

/** Two classes: a bright top half or a bright bottom half, plus noise. */
function toyData(count: number, seed: number): { images: Float32Array; labels: number[] } {
  const rng = new Rng(seed);
  const images = new Float32Array(count * SIZE * SIZE);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    labels.push(label);
    for (let p = 0; p < SIZE * SIZE; p++) {
      const top = p < (SIZE * SIZE) / 2;
      images[i * SIZE * SIZE + p] = (top === (label === 0) ? 0.7 : 0.2) + 0.2 * rng.next();
    }
  }
  return { images, labels };
}

function batchOf(data: { images: Float32Array; labels: number[] }, indices: ArrayLike<number>): Batch {
  const n = indices.length;
  const x = new Float32Array(n * SIZE * SIZE);
  for (let j = 0; j < n; j++)
    x.set(data.images.subarray(indices[j] * SIZE * SIZE, (indices[j] + 1) * SIZE * SIZE), j * SIZE * SIZE);
  return {
    x: tf.tensor4d(x, [n, SIZE, SIZE, 1]),
    y: tf.tidy(() =>
      tf.cast(
        tf.oneHot(
          Array.from(indices, (i) => data.labels[i]),
          2,
        ),
        'float32',
      ),
    ) as tf.Tensor2D,
  };
}

function trainData(data: { images: Float32Array; labels: number[] }, batchSize: number): TrainData {
  const count = data.labels.length;
  return {
    batchesPerEpoch: Math.ceil(count / batchSize),
    *batches(rng: Rng) {
      const order = rng.permutation(count);
      for (let b = 0; b < count; b += batchSize) yield batchOf(data, order.subarray(b, b + batchSize));
    },
  };
}

/** The run's options; `outDir` stands for the storage of that folder. */
function options({ outDir, ...overrides }: Partial<TrainOptions> & { outDir?: string } = {}): TrainOptions {
  const trainSet = toyData(32, 1);
  const testSet = toyData(16, 2);
  return {
    model: overrides.model ?? new TinyClassifier({ numClasses: 2, width: 4, seed: 3 }),
    train: trainData(trainSet, 8),
    test: () => [
      batchOf(
        testSet,
        Array.from({ length: 16 }, (_, i) => i),
      ),
    ],
    optimizer: { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    lr: 0.05,
    schedule: { name: 'onecycle' },
    epochs: 3,
    seed: 7,
    progress: false,
    ...(outDir === undefined ? {} : { storage: runFolder(outDir) }),
    ...overrides,
  };
}

describe('train', () => {
  it('learns a separable toy problem', async () => {
    const result = await train(options({ epochs: 6 }));
    expect(result.epochs[5].trainLoss).toBeLessThan(result.epochs[0].trainLoss);
    expect(result.final!.accuracy).toBeGreaterThan(0.9);
    // Each epoch records the CPU time it spent, which training cannot make zero.
    for (const epoch of result.epochs) expect(epoch.cpuSeconds).toBeGreaterThan(0);
  });

  it('repeats exactly with the same seed', async () => {
    const a = await train(options());
    const b = await train(options());
    expect(b.final).toEqual(a.final);
    expect(b.epochs.map((e) => e.trainLoss)).toEqual(a.epochs.map((e) => e.trainLoss));
  });

  it('resumes a killed run to exactly the metrics of an uninterrupted one', async () => {
    const straightDir = mkdtempSync(join(tmpdir(), 'perturb-a-'));
    const uninterrupted = await train(options({ outDir: straightDir }));
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-b-'));
    const killAfterEpoch2 = (record: { epoch: number }) => {
      if (record.epoch === 2) throw new Error('killed');
    };
    await expect(train(options({ outDir, onEpochEnd: killAfterEpoch2 }))).rejects.toThrow('killed');
    const resumed = await train(options({ outDir }));
    expect(resumed.resumedEpochs).toBe(2);
    expect(resumed.final).toEqual(uninterrupted.final);
    expect(resumed.epochs.map((e) => e.trainLoss)).toEqual(uninterrupted.epochs.map((e) => e.trainLoss));
    expect(readMetrics(runFolder(outDir))).toHaveLength(3);
    // The checkpoints hold the same model and optimizer state, bit for bit.
    const tensorsOf = (dir: string) => {
      const { state, tensors } = readCheckpoint(join(dir, 'checkpoint.safetensors'));
      const all = { ...state, ...tensors };
      const values = Object.fromEntries(Object.entries(all).map(([k, t]) => [k, Array.from(t.dataSync())]));
      tf.dispose(Object.values(all));
      return values;
    };
    expect(tensorsOf(outDir)).toEqual(tensorsOf(straightDir));
    expect(readdirSync(outDir).sort()).toEqual(['checkpoint.safetensors', 'metrics.jsonl']);
  });

  it("saves an augmenter's learned state in its checkpoints and restores it on resume", async () => {
    // An augmenter that learns something across steps: how many batches it has seen.
    const counting = () => {
      let seen = 0;
      return {
        name: 'counter',
        transform: (batch: Batch) => {
          seen += 1;
          return batch;
        },
        state: () => ({ seen }),
        loadState: (state: unknown) => {
          seen = (state as { seen: number }).seen;
        },
        seen: () => seen,
      };
    };
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-state-'));
    const killAfterEpoch2 = (record: { epoch: number }) => {
      if (record.epoch === 2) throw new Error('killed');
    };
    await expect(
      train(options({ outDir, augmenters: [counting()], onEpochEnd: killAfterEpoch2 })),
    ).rejects.toThrow('killed');
    const resumedAugmenter = counting();
    await train(options({ outDir, augmenters: [resumedAugmenter] }));
    // 3 epochs of 4 batches: 8 counted before the kill, 4 after the resume.
    expect(resumedAugmenter.seen()).toBe(12);
  });

  it('spends a step budget, cutting the last epoch short, with the schedule spanning it', async () => {
    // 4 batches per epoch: 6 steps are one full epoch and 2 batches of the next.
    const uninterrupted = await train(options({ epochs: undefined, steps: 6 }));
    expect(uninterrupted.epochs.map((e) => e.step)).toEqual([4, 6]);
    // One-cycle ends at lr / 25 / 1e4 on the budget's last step, not on a whole epoch's.
    expect(uninterrupted.epochs[1].lr).toBeCloseTo(0.05 / 25 / 1e4, 12);

    const outDir = mkdtempSync(join(tmpdir(), 'perturb-steps-'));
    const killAfterEpoch1 = (record: { epoch: number }) => {
      if (record.epoch === 1) throw new Error('killed');
    };
    await expect(
      train(options({ epochs: undefined, steps: 6, outDir, onEpochEnd: killAfterEpoch1 })),
    ).rejects.toThrow('killed');
    const resumed = await train(options({ epochs: undefined, steps: 6, outDir }));
    expect(resumed.resumedEpochs).toBe(1);
    expect(resumed.final).toEqual(uninterrupted.final);
    expect(resumed.epochs.map((e) => e.trainLoss)).toEqual(uninterrupted.epochs.map((e) => e.trainLoss));
  });

  it('takes exactly one of epochs and steps', async () => {
    await expect(train(options({ steps: 6 }))).rejects.toThrow(
      /both epochs and steps are given\. give exactly one/,
    );
    await expect(train(options({ epochs: undefined }))).rejects.toThrow(/neither epochs nor steps is given/);
    await expect(train(options({ epochs: undefined, steps: 0 }))).rejects.toThrow(/steps = 0 is invalid/);
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-c-'));
    await train(options({ outDir, epochs: 1, fingerprint: 'a' }));
    await expect(train(options({ outDir, epochs: 1, fingerprint: 'b' }))).rejects.toThrow(
      /was written by a run with other settings\. resume with the settings/,
    );
  });

  it('stops with a clear error when the loss is NaN', async () => {
    const poisoned: Augmenter = {
      name: 'poison',
      transform: (batch) => ({ x: tf.mul(batch.x, NaN) as tf.Tensor4D, y: batch.y }),
    };
    await expect(train(options({ augmenters: [poisoned] }))).rejects.toThrow(
      /the loss became NaN at epoch 1, step 1\. lower the learning rate/,
    );
  });

  it('adds augmenter loss terms and rescales the clean loss', async () => {
    let calls = 0;
    const extra: Augmenter = {
      name: 'extra',
      losses: () => ({
        cleanWeight: 0.5,
        terms: () => {
          calls++;
          return [{ name: 'constant', weight: 2, value: () => tf.scalar(1) }];
        },
      }),
    };
    const plain = await train(options({ epochs: 1, lr: 1e-9 }));
    const withExtra = await train(options({ epochs: 1, lr: 1e-9, augmenters: [extra] }));
    expect(calls).toBe(4);
    // lr ≈ 0 keeps the model fixed, so the loss is exactly ½·clean + 2·1
    expect(withExtra.epochs[0].trainLoss).toBeCloseTo(0.5 * plain.epochs[0].trainLoss + 2, 5);
  });

  it("hands a loss stage the gradient of the step's loss with respect to its learned inputs", async () => {
    const received: number[][] = [];
    const learning: Augmenter = {
      name: 'learning',
      losses: () => {
        const a = tf.scalar(3);
        const unread = tf.tensor1d([1, 2]);
        return {
          learned: {
            tensors: [a, unread],
            learn: (gradients) => received.push(gradients.flatMap((g) => Array.from(g.dataSync()))),
          },
          // d/da of 2·(5a) + 1·a² at a = 3: 10 + 6; the clean pass and `unread` give nothing.
          terms: () => [
            { name: 'linear', weight: 2, value: () => tf.mul(a, 5) as tf.Scalar },
            { name: 'square', weight: 1, value: () => tf.square(a) },
          ],
        };
      },
    };
    await train(options({ epochs: 1, augmenters: [learning] }));
    expect(received).toEqual(Array.from({ length: 4 }, () => [16, 0, 0]));

    // A step whose loss is not finite updates nothing: neither the model nor the learned inputs.
    received.length = 0;
    const poisoned: Augmenter = {
      ...learning,
      transform: (batch) => ({ x: tf.mul(batch.x, NaN) as tf.Tensor4D, y: batch.y }),
    };
    await expect(train(options({ augmenters: [poisoned] }))).rejects.toThrow(/the loss became NaN/);
    expect(received).toEqual([]);
  });

  it("holds one loss term's activations at a time, however many terms a step has", async () => {
    // Each term keeps a 512 KB tensor alive for its gradient; were the terms differentiated
    // together, the bytes in use when the eighth is built would hold the seven before it too.
    const inUse: number[] = [];
    const bigTerms: Augmenter = {
      name: 'big',
      losses: (batch, ctx) => ({
        terms: () =>
          Array.from({ length: 8 }, (_, i) => ({
            name: `big${i}`,
            weight: 1e-3,
            value: () => {
              const logits = ctx.model.logits(batch.x, { training: true }) as tf.Tensor2D;
              const big = tf.tile(logits, [8192 / batch.x.shape[0], 8]);
              inUse.push(tf.memory().numBytes);
              return tf.mean(tf.square(big));
            },
          })),
      }),
    };
    await train(options({ steps: 1, epochs: undefined, augmenters: [bigTerms] }));
    expect(inUse).toHaveLength(8);
    expect(Math.max(...inUse) - Math.min(...inUse)).toBeLessThan(2 ** 18);
  });

  it('hands every forward pass its batch, and each training step its own named stream', async () => {
    const seen: Array<{ training: boolean; ownBatch: boolean; draw?: number }> = [];
    class Recording extends TinyClassifier {
      override logits(x: tf.Tensor4D, forward: ForwardOptions): tf.Tensor2D {
        seen.push({
          training: forward.training,
          ownBatch: forward.targets?.x === x,
          draw: forward.rng?.next(),
        });
        return super.logits(x, forward);
      }
    }
    await train(options({ model: new Recording({ numClasses: 2, width: 4, seed: 3 }), epochs: 1 }));
    // Four training steps, then the evaluation (its batch, no stream: eval samples nothing).
    expect(seen.map((s) => s.training)).toEqual([true, true, true, true, false]);
    expect(seen.every((s) => s.ownBatch)).toBe(true);
    const streams = [0, 1, 2, 3].map((step) => new Rng(7).child('forward').child(`step-${step}`).next());
    expect(seen.map((s) => s.draw)).toEqual([...streams, undefined]);
  });

  it('keeps the tensor count flat across whole epochs', async () => {
    const model = new TinyClassifier({ numClasses: 2, width: 4 });
    await train(options({ model, epochs: 1 }));
    const before = tf.memory().numTensors;
    await train(options({ model, epochs: 2 }));
    await train(options({ model, epochs: undefined, steps: 5 })); // stops inside an epoch
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects duplicate augmenter names and bad epoch counts', async () => {
    const a: Augmenter = { name: 'same' };
    await expect(train(options({ augmenters: [a, a] }))).rejects.toThrow(
      /the run has two augmenters named "same"/,
    );
    await expect(train(options({ epochs: 0 }))).rejects.toThrow(/epochs = 0 is invalid/);
  });
});

describe('train with composed augmenters', () => {
  /** Every parameter and buffer of `model`, as plain numbers by name. */
  const weightsOf = (model: Module) =>
    Object.fromEntries(
      Object.entries(model.stateDict()).map(([name, t]) => [name, Array.from(t.dataSync())]),
    );
  const lalfaOnTiny = () => lalfa({ sites: ['stem', 'features'] });
  // A constant schedule, so a run of 1 epoch continued to 2 follows the same learning rates, and
  // evaluation only at the end, which comes after the last checkpoint (a 1-epoch run's epoch 1
  // would otherwise lack the test record an epoch 1 of 2 has).
  const constantLr = { schedule: { name: 'constant' as const }, lr: 0.05, evalEvery: 0 };

  it('trains [a, b] exactly as [pipeline([a, b])]', async () => {
    const run = async (augmenters: (a: Augmenter, b: Augmenter) => Augmenter[]) => {
      const model = new TinyClassifier({ numClasses: 2, width: 4, seed: 3 });
      const learned = lalfaOnTiny();
      await train(options({ model, epochs: 2, augmenters: augmenters(randomCrop({ padding: 1 }), learned) }));
      return { weights: weightsOf(model), lalfa: learned.state() };
    };
    const listed = await run((a, b) => [a, b]);
    const piped = await run((a, b) => [pipeline([a, b])]);
    expect(piped.weights).toEqual(listed.weights);
    expect(piped.lalfa).toEqual(listed.lalfa);
    // The augmenters did draw: without the crop the weights differ.
    const uncropped = await run((_, b) => [b]);
    expect(uncropped.weights).not.toEqual(listed.weights);
  });

  it('resumes L-ALFA inside a pipeline to a checkpoint bit-identical to an uninterrupted run', async () => {
    const augmenters = () => {
      const learned = lalfaOnTiny();
      return { learned, list: [pipeline([randomCrop({ padding: 1 }), horizontalFlip(), learned])] };
    };
    const uninterruptedDir = mkdtempSync(join(tmpdir(), 'perturb-lalfa-a-'));
    const uninterrupted = augmenters();
    await train(
      options({ ...constantLr, epochs: 2, outDir: uninterruptedDir, augmenters: uninterrupted.list }),
    );

    // Killed after epoch 1 (its checkpoint written), then run again to epoch 2, as a new process
    // would. No test set in the first sitting: a killed run never reaches a final evaluation.
    const resumedDir = mkdtempSync(join(tmpdir(), 'perturb-lalfa-b-'));
    await train(
      options({
        ...constantLr,
        epochs: 1,
        outDir: resumedDir,
        augmenters: augmenters().list,
        test: undefined,
      }),
    );
    const resumed = augmenters();
    const result = await train(
      options({ ...constantLr, epochs: 2, outDir: resumedDir, augmenters: resumed.list }),
    );
    expect(result.resumedEpochs).toBe(1);

    // L-ALFA continued from its learned weights, not from 1/n again.
    expect(uninterrupted.learned.weights()).not.toEqual([0.5, 0.5]);
    expect(resumed.learned.state()).toEqual(uninterrupted.learned.state());

    const a = readCheckpoint<{ history: Record<string, unknown>[] }>(
      join(uninterruptedDir, 'checkpoint.safetensors'),
    );
    const b = readCheckpoint<{ history: Record<string, unknown>[] }>(
      join(resumedDir, 'checkpoint.safetensors'),
    );
    const numbers = (tensors: Record<string, tf.Tensor>) =>
      Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, Array.from(t.dataSync())]));
    expect(numbers(b.state)).toEqual(numbers(a.state));
    expect(numbers(b.tensors)).toEqual(numbers(a.tensors));
    const withoutTimings = (meta: { history: Record<string, unknown>[] }) => ({
      ...meta,
      history: meta.history.map(({ seconds: _s, cpuSeconds: _c, ...record }) => record),
    });
    expect(withoutTimings(b.meta)).toEqual(withoutTimings(a.meta));
    expect(b.meta).toMatchObject({ extra: { lalfa: uninterrupted.learned.state() } });
    tf.dispose([
      ...Object.values(a.state),
      ...Object.values(a.tensors),
      ...Object.values(b.state),
      ...Object.values(b.tensors),
    ]);
  });

  it('refuses to resume augmenter state that does not fit the augmenters', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-unfit-'));
    await train(options({ ...constantLr, epochs: 1, outDir, augmenters: [lalfaOnTiny()] }));
    const renamed = lalfa({ sites: ['stem', 'features'], name: 'other' });
    await expect(train(options({ ...constantLr, epochs: 2, outDir, augmenters: [renamed] }))).rejects.toThrow(
      /the saved state of the run has an entry "lalfa", but no augmenter there has that name and state/,
    );
  });
});
