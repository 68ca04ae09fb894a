import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { PerturbError, Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { readCheckpoint, runFolder } from '@perturb/core/node';
import type { ImageArray } from './data';
import { Glow } from './glow';
import { loadGlow } from './load-file';
import { trainFlow } from './train';
import type { FlowProgress, TrainFlowOptions } from './train';
import { createFlowOptimizer, flowTrainingStep } from './train-step';
import { TINY_GLOW as tiny, temporaryFolders } from './test-helpers';

const tempDir = temporaryFolders('flows-train-');

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Blobs on a dark background as 8-bit images: structured enough for a flow to learn fast. */
function blobs(count: number, seed: number): ImageArray {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 64);
  for (let i = 0; i < count; i++) {
    const [cx, cy] = [rng.uniform(2, 6), rng.uniform(2, 6)];
    for (let p = 0; p < 64; p++) {
      const d2 = ((p % 8) - cx) ** 2 + (Math.floor(p / 8) - cy) ** 2;
      images[i * 64 + p] = Math.round(230 * Math.exp(-d2 / 4) + 10 * rng.next());
    }
  }
  return {
    images,
    count,
    height: 8,
    width: 8,
    channels: 1,
    labels: Array.from({ length: count }, (_, i) => i % 2),
  };
}

function toTensor(data: ImageArray): tf.Tensor4D {
  return tf.tidy(
    () => tf.div(tf.tensor4d(Float32Array.from(data.images), [data.count, 8, 8, 1]), 255) as tf.Tensor4D,
  );
}

describe('flowTrainingStep', () => {
  it('a few Adam steps lower the bits/dim of a tiny model', () => {
    const data = blobs(16, 1);
    const x = toTensor(data);
    const model = new Glow({ ...tiny, rng: new Rng(1) });
    model.initialize(x);
    const optimizer = createFlowOptimizer(model);
    const rng = new Rng(2);
    const history = Array.from(
      { length: 12 },
      () => flowTrainingStep(model, optimizer, x, { lr: 5e-3, rng }).bitsPerDim,
    );
    expect(history.every(Number.isFinite)).toBe(true);
    expect(history[history.length - 1]).toBeLessThan(history[0] - 0.3);
    x.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('leaks no tensors', async () => {
    const x = toTensor(blobs(4, 2));
    const model = new Glow({ ...tiny, rng: new Rng(3) });
    model.initialize(x);
    const optimizer = createFlowOptimizer(model, { kind: 'adamax', weightDecay: 1e-4 });
    const rng = new Rng(4);
    await assertNoTensorLeak(
      () => flowTrainingStep(model, optimizer, x, { lr: 1e-3, rng, gradClipNorm: 1 }),
      { iterations: 2 },
    );
    x.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('stops with a PerturbError on a NaN loss, without updating', () => {
    const x = tf.fill([2, 8, 8, 1], NaN) as tf.Tensor4D;
    const model = new Glow({ ...tiny, rng: new Rng(5) });
    const clean = toTensor(blobs(2, 8));
    model.initialize(clean);
    const optimizer = createFlowOptimizer(model);
    const before = model.parameters()[0].dataSync().slice();
    expect(() => flowTrainingStep(model, optimizer, x, { lr: 1e-3, rng: new Rng(6) })).toThrow(PerturbError);
    expect(model.parameters()[0].dataSync()).toEqual(before);
    expect(optimizer.steps).toBe(0);
    tf.dispose([x, clean]);
    optimizer.dispose();
    model.dispose();
  });
});

describe('trainFlow', () => {
  const common = { batchSize: 8, lr: 5e-3, warmupSteps: 2, sampleCount: 4, seed: 7 } as const;

  it('trains, evaluates, writes images, a checkpoint and result.json', async () => {
    const outDir = tempDir();
    const progress: FlowProgress[] = [];
    const result = await trainFlow({
      ...common,
      model: new Glow({ ...tiny, rng: new Rng(8) }),
      train: blobs(24, 3),
      test: blobs(8, 4),
      storage: runFolder(outDir),
      epochs: 2,
      onStep: (p) => progress.push(p),
    });
    expect(progress.map((p) => [p.epoch, p.batch, p.step])).toEqual([
      [1, 1, 1],
      [1, 2, 2],
      [1, 3, 3],
      [2, 1, 4],
      [2, 2, 5],
      [2, 3, 6],
    ]);
    expect(progress[0].lr).toBeCloseTo(2.5e-3, 10);
    expect(progress[5].lr).toBe(5e-3);
    expect(result.history).toHaveLength(2);
    expect(result.testBitsPerDim).not.toBeNull();
    expect(result.testBitsPerDim!).toBeLessThan(8);
    expect(result.history[1].trainBitsPerDim).toBeLessThan(result.history[0].trainBitsPerDim);
    const saved = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8'));
    expect(saved.testBitsPerDim).toBe(result.testBitsPerDim);
    expect(saved.config.model.levels).toBe(2);
    expect(saved.config.training.optimizer).toBe('adam');
    expect(existsSync(join(outDir, 'checkpoint.safetensors'))).toBe(true);
    for (const name of ['samples-t0.7', 'samples-t1', 'reconstructions']) {
      const png = decode(readFileSync(join(outDir, 'images', `epoch-002-${name}.png`)));
      expect(png.width).toBe(2 * 9 + 1);
    }
  });

  it.each([{ kind: 'uniform' }, { kind: 'gaussian', std: 0.1 }] as const)(
    'resumes after the last completed epoch and ends where an uninterrupted run ends (%o noise)',
    async (noise) => {
      const straightDir = tempDir();
      const resumedDir = tempDir();
      const run = async (outDir: string, epochs: number, seen: FlowProgress[] = []) => {
        const model = new Glow({ ...tiny, rng: new Rng(9) });
        await trainFlow({
          ...common,
          noise,
          model,
          train: blobs(16, 5),
          storage: runFolder(outDir),
          epochs,
          temperatures: [1],
          onStep: (p) => seen.push(p),
        });
        return model;
      };
      const straight = await run(straightDir, 2);
      (await run(resumedDir, 1)).dispose();
      const seen: FlowProgress[] = [];
      const resumed = await run(resumedDir, 2, seen);
      expect(seen.map((p) => [p.epoch, p.step])).toEqual([
        [2, 3],
        [2, 4],
      ]);
      const a = straight.parameters().map((p) => Array.from(p.dataSync()));
      const b = resumed.parameters().map((p) => Array.from(p.dataSync()));
      expect(b).toEqual(a);
      const result = JSON.parse(readFileSync(join(resumedDir, 'result.json'), 'utf8'));
      expect(result.history.map((r: { epoch: number }) => r.epoch)).toEqual([1, 2]);
      // The resumed checkpoint holds exactly the uninterrupted one's model and optimizer state.
      const tensorsOf = (dir: string) => {
        const { state, tensors } = readCheckpoint(join(dir, 'checkpoint.safetensors'));
        const all = { ...state, ...tensors };
        const values = Object.fromEntries(Object.entries(all).map(([k, t]) => [k, Array.from(t.dataSync())]));
        tf.dispose(Object.values(all));
        return values;
      };
      expect(tensorsOf(resumedDir)).toEqual(tensorsOf(straightDir));
      straight.dispose();
      resumed.dispose();
    },
  );

  it('keeps the default uniform dequantization numbers (training and test bits/dim)', async () => {
    const model = new Glow({ ...tiny, rng: new Rng(9) });
    const result = await trainFlow({ ...common, model, train: blobs(16, 5), test: blobs(8, 4), epochs: 2 });
    model.dispose();
    // Measured before the noise option existed: the default must still draw the same noise.
    const expected = [
      [7.437896490097046, 7.374464511871338],
      [7.247165203094482, 7.185286998748779],
    ];
    result.history.forEach((record, i) => {
      expect(record.trainBitsPerDim).toBeCloseTo(expected[i][0], 5);
      expect(record.testBitsPerDim!).toBeCloseTo(expected[i][1], 5);
    });
    expect(result.config.training.noise).toEqual({ kind: 'uniform' });
  });

  it("trains on flow-lp's Gaussian noise: same seed, same numbers; test bits/dim still dequantizes uniformly", async () => {
    const test = blobs(8, 4);
    // The numbers of one epoch, and the test bits/dim recomputed from the trained model with the
    // uniform dequantization trainFlow's evaluation draws (stream 'test'; one test batch).
    const run = async (noise: TrainFlowOptions['noise'], seed: number = common.seed) => {
      const model = new Glow({ ...tiny, rng: new Rng(9) });
      const result = await trainFlow({ ...common, seed, noise, model, train: blobs(16, 5), test, epochs: 1 });
      const x = toTensor(test);
      const bpd = model.bitsPerDim(x, { rng: new Rng(seed).child('test') });
      const uniformTest = bpd.dataSync()[0];
      tf.dispose([x, bpd]);
      model.dispose();
      const { trainBitsPerDim, testBitsPerDim } = result.history[0];
      return { trainBitsPerDim, testBitsPerDim, uniformTest, noise: result.config.training.noise };
    };
    const gaussian = { kind: 'gaussian', std: 0.1 } as const;
    const a = await run(gaussian);
    expect(await run(gaussian)).toEqual(a);
    expect((await run(gaussian, 8)).trainBitsPerDim).not.toBe(a.trainBitsPerDim);
    expect(a.noise).toEqual(gaussian);
    expect(a.testBitsPerDim).toBeCloseTo(a.uniformTest, 5);
    // The loss is a density of noised pixels, not the bits/dim bound uniform noise trains on.
    expect(Math.abs(a.trainBitsPerDim - (await run(undefined)).trainBitsPerDim)).toBeGreaterThan(0.01);
  });

  it('refuses to resume with other training settings, but may train more epochs', async () => {
    const outDir = tempDir();
    const run = (overrides: Pick<TrainFlowOptions, 'epochs' | 'lr' | 'noise'>) => {
      const model = new Glow({ ...tiny, rng: new Rng(9) });
      return trainFlow({
        ...common,
        model,
        train: blobs(16, 5),
        storage: runFolder(outDir),
        temperatures: [1],
        ...overrides,
      }).finally(() => model.dispose());
    };
    await run({ epochs: 1 });
    await expect(run({ epochs: 2, lr: 5e-4 })).rejects.toThrow(/was written by a run with other settings/);
    await expect(run({ epochs: 2, noise: { kind: 'gaussian', std: 0.1 } })).rejects.toThrow(
      /was written by a run with other settings/,
    );
    await expect(run({ epochs: 2 })).resolves.toMatchObject({ steps: 4 });
  });

  it('accepts an async iterable of batches and a class-conditional model', async () => {
    const data = blobs(16, 6);
    const x = toTensor(data);
    const labels = tf.oneHot(tf.tensor1d(data.labels as number[], 'int32'), 2) as tf.Tensor2D;
    const source = async function* () {
      for (let start = 0; start < 16; start += 8) {
        yield {
          x: tf.slice(x, [start, 0, 0, 0], [8, 8, 8, 1]),
          labels: tf.slice(labels, [start, 0], [8, 2]),
        };
      }
    };
    const before = tf.memory().numTensors;
    const model = new Glow({ ...tiny, numClasses: 2, rng: new Rng(10) });
    const result = await trainFlow({
      ...common,
      model,
      train: source,
      test: source,
      storage: runFolder(tempDir()),
      epochs: 1,
    });
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.testBitsPerDim!)).toBe(true);
    model.dispose();
    // Every batch was disposed, and so was everything the model held (its W⁻¹ caches included).
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, labels]);
  });

  it('trains a conditional-coupling Glow on labelled arrays; its checkpoint resumes and loads', async () => {
    const data = blobs(16, 8);
    const outDir = tempDir();
    const options = { inputShape: [8, 8, 1], levels: 1, steps: 1, hidden: 4, conditionSize: 2 } as const;
    const run = (epochs: number) => {
      const model = new Glow({ ...options, rng: new Rng(12) });
      return trainFlow({
        ...common,
        model,
        train: data,
        test: data,
        storage: runFolder(outDir),
        epochs,
      }).finally(() => model.dispose());
    };
    const first = await run(1);
    expect(Number.isFinite(first.testBitsPerDim!)).toBe(true);
    const resumed = await run(2);
    expect(resumed.history.map((epoch) => epoch.epoch)).toEqual([1, 2]);
    const loaded = loadGlow(join(outDir, 'checkpoint.safetensors'));
    expect(loaded.config.conditionSize).toBe(2);
    const x = toTensor(data);
    const labels = tf.oneHot(tf.tensor1d(data.labels as number[], 'int32'), 2) as tf.Tensor2D;
    const bpd = loaded.bitsPerDim(x, { condition: labels });
    expect(bpd.dataSync()[0]).toBeCloseTo(resumed.trainBitsPerDim!, 0);
    expect(() => loaded.bitsPerDim(x)).toThrow(/is conditional/);
    tf.dispose([x, labels, bpd]);
    loaded.dispose();
    // Without labels, the arrays cannot condition the flow.
    const model = new Glow({ ...options, rng: new Rng(12) });
    await expect(
      trainFlow({
        ...common,
        model,
        train: { ...data, labels: undefined },
        storage: runFolder(tempDir()),
        epochs: 1,
      }),
    ).rejects.toThrow(/conditional but the images have no labels/);
    model.dispose();
  });

  it('rejects images of the wrong shape with a PerturbError', async () => {
    const wrong = { ...blobs(4, 7), height: 4, width: 16 };
    await expect(
      trainFlow({
        model: new Glow({ ...tiny, rng: new Rng(11) }),
        train: wrong,
        storage: runFolder(tempDir()),
        epochs: 1,
      }),
    ).rejects.toThrow(/expects 8×8×1/);
  });
});
