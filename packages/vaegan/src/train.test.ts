import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  PerturbError,
  Rng,
  assertNoTensorLeak,
  initBackend,
  memoryStorage,
  readMetrics,
} from '@perturb/core';
import { runFolder } from '@perturb/core/node';
import { decodePngImage, toBatch } from '@perturb/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassSpecific, trainClassSpecific } from './class-specific';
import { loadVaeGan } from './load-file';
import { createVaeGanOptimizers, vaeGanStep, PARAMETER_GROUPS, type VaeGanLosses } from './step';
import { bandDataset, tinyVaeGan, values } from './test-support';
import { trainVaeGan } from './train';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  dir = mkdtempSync(join(tmpdir(), 'vaegan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('vaeGanStep', () => {
  // The encoder's full loss also holds the GAN term, which the discriminator pushes back up.
  it('lowers the reconstruction error over a few steps on a fixed batch', () => {
    const model = tinyVaeGan();
    const optimizers = createVaeGanOptimizers(model);
    const { x, y } = toBatch(bandDataset());
    const rng = new Rng(1);
    const losses = Array.from(
      { length: 10 },
      () => vaeGanStep(model, optimizers, x, rng, 1e-2).reconstruction,
    );
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
    tf.dispose([x, y]);
  });

  it('moves each parameter group with its own optimizer', () => {
    const model = tinyVaeGan();
    const before = PARAMETER_GROUPS.map((g) => values(model[g].parameters()[0]));
    const { x, y } = toBatch(bandDataset());
    vaeGanStep(model, createVaeGanOptimizers(model), x, new Rng(1), 1e-2);
    PARAMETER_GROUPS.forEach((g, i) => expect(values(model[g].parameters()[0])).not.toEqual(before[i]));
    tf.dispose([x, y]);
  });

  it('leaks no tensors', async () => {
    const model = tinyVaeGan();
    const optimizers = createVaeGanOptimizers(model);
    const { x, y } = toBatch(bandDataset(2));
    const rng = new Rng(2);
    await assertNoTensorLeak(() => vaeGanStep(model, optimizers, x, rng, 1e-3), { warmup: 1, iterations: 2 });
    tf.dispose([x, y]);
  });

  it('raises a PerturbError on a NaN loss and leaves the model unchanged, BatchNorm statistics too', () => {
    const model = tinyVaeGan();
    const state = () => Object.values(model.stateDict()).map(values);
    const before = state();
    const x = tf.fill([2, 8, 8, 1], NaN) as tf.Tensor4D;
    expect(() => vaeGanStep(model, createVaeGanOptimizers(model), x, new Rng(0), 1e-3)).toThrow(PerturbError);
    expect(state()).toEqual(before);
  });

  it("moves BatchNorm's running statistics in training mode", () => {
    const model = tinyVaeGan();
    const statistics = () => model.namedBuffers().filter(([name]) => name.includes('.bn'));
    expect(statistics().length).toBeGreaterThan(0);
    const before = statistics().map(([, v]) => values(v));
    const { x, y } = toBatch(bandDataset(2));
    vaeGanStep(model, createVaeGanOptimizers(model), x, new Rng(1), 1e-3);
    expect(statistics().map(([, v]) => values(v))).not.toEqual(before);
    tf.dispose([x, y]);
  });
});

describe('trainVaeGan', () => {
  it('checkpoints every epoch with the code range, resumes exactly, and refuses other settings', async () => {
    const data = bandDataset(4);
    const storage = runFolder(join(dir, 'single'));
    const straight = tinyVaeGan(3);
    await trainVaeGan({ model: straight, data, epochs: 2, batchSize: 4, seed: 5 });
    const first = tinyVaeGan(3);
    const progress: number[] = [];
    await trainVaeGan({
      model: first,
      data,
      epochs: 1,
      batchSize: 4,
      seed: 5,
      storage,
      onStep: (p) => progress.push(p.step),
    });
    expect(progress).toEqual([1, 2]);
    const resumed = tinyVaeGan(3);
    const result = await trainVaeGan({ model: resumed, data, epochs: 2, batchSize: 4, seed: 5, storage });
    expect(result.epochsRun).toBe(1);
    expect(result.history.map((r) => r.epoch)).toEqual([1, 2]);
    expect(values(resumed.decoder.parameters()[0])).toEqual(values(straight.decoder.parameters()[0]));

    const loaded = loadVaeGan(result.checkpoint!);
    const range = loaded.codeRange();
    expect(Array.from(range.min)).toEqual(Array.from(straight.codeRange().min));
    expect(range.min.every((v, d) => Number.isFinite(v) && v <= range.max[d])).toBe(true);
    await expect(
      trainVaeGan({ model: tinyVaeGan(3), data, epochs: 3, batchSize: 4, seed: 5, lr: 0.1, storage }),
    ).rejects.toThrow(/other settings/);
  });

  it('replaces a grid of images, reconstructions and prior decodes after every epoch, without leaking', async () => {
    const storage = memoryStorage();
    const options = {
      data: bandDataset(4),
      epochs: 1,
      batchSize: 4,
      fileName: 'class-3.safetensors',
      storage,
    };
    const [model, resumed, silent] = [tinyVaeGan(3), tinyVaeGan(3), tinyVaeGan(3)];
    const before = tf.memory().numTensors;
    await trainVaeGan({ model, ...options });
    expect(model.training).toBe(false);
    const first = storage.files.get('images/class-3.png')!;
    // Three rows of the first batch's 4 images, 8×8 each with 1 pixel of padding.
    const grid = decodePngImage(first);
    expect([grid.width, grid.height]).toEqual([4 * 9 + 1, 3 * 9 + 1]);
    await trainVaeGan({ model: resumed, ...options, epochs: 2 });
    expect(storage.files.get('images/class-3.png')).not.toEqual(first);
    // Its own metrics log: one line of mean losses per epoch.
    const logged = readMetrics<{ losses: VaeGanLosses }>(storage, 'metrics/class-3.jsonl');
    expect(logged.map((r) => r.epoch)).toEqual([1, 2]);
    expect(logged[1].losses.reconstruction).toBeGreaterThan(0);
    const none = memoryStorage();
    await trainVaeGan({ model: silent, ...options, storage: none, gridImages: 0 });
    expect([...none.files.keys()].sort()).toEqual(['class-3.safetensors', 'metrics/class-3.jsonl']);
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainVaeGan({ model, ...options, gridImages: -1 })).rejects.toThrow(
      /gridImages = -1 is invalid/,
    );
  });
});

describe('trainClassSpecific', () => {
  it('writes one checkpoint per class (plus the agnostic one) and trains nothing when rerun', async () => {
    const outDir = join(dir, 'classes');
    const options = {
      dataset: bandDataset(4),
      storage: runFolder(outDir),
      epochs: 1,
      batchSize: 4,
      classAgnostic: true,
      architecture: { latentSize: 4, widths: [4, 8] },
    };
    const first = await trainClassSpecific(options);
    expect(first.epochsRun).toEqual({ 'class-0': 1, 'class-1': 1, agnostic: 1 });
    expect(readdirSync(outDir).sort()).toEqual([
      'agnostic.safetensors',
      'class-0.safetensors',
      'class-1.safetensors',
      'images',
      'metrics',
    ]);
    expect(readdirSync(join(outDir, 'images')).sort()).toEqual([
      'agnostic.png',
      'class-0.png',
      'class-1.png',
    ]);
    expect([first.models[0].config.beta, first.agnostic!.config.beta]).toEqual([2.75, 3]);
    const again = await trainClassSpecific(options);
    expect(again.epochsRun).toEqual({ 'class-0': 0, 'class-1': 0, agnostic: 0 });
    const loaded = loadClassSpecific(runFolder(outDir));
    expect(loaded).toHaveLength(2);
    expect(values(loaded[1].decoder.parameters()[0])).toEqual(
      values(first.models[1].decoder.parameters()[0]),
    );
  });

  it('draws a bar per model on stderr with progress, labelled by model, and none without', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => written.push(String(text)) > 0) as typeof process.stderr.write;
    try {
      const options = {
        dataset: bandDataset(4),
        epochs: 1,
        batchSize: 4,
        architecture: { latentSize: 4, widths: [4, 8] },
      };
      await trainClassSpecific({ ...options, storage: memoryStorage() });
      expect(written.join('')).toBe('');
      await trainClassSpecific({ ...options, storage: memoryStorage(), progress: true });
    } finally {
      process.stderr.write = write;
    }
    const text = written.join('');
    expect(text).toMatch(/class-0 .*100%/);
    expect(text).toMatch(/class-1 .*100%/);
  });

  it('trains a subset of the classes to the same models as training them all', async () => {
    const options = {
      dataset: bandDataset(4),
      epochs: 1,
      batchSize: 4,
      architecture: { latentSize: 4, widths: [4] },
    };
    const all = await trainClassSpecific({ ...options, storage: memoryStorage() });
    const subsetDir = join(dir, 'subset');
    const one = await trainClassSpecific({ ...options, storage: runFolder(subsetDir), classes: [1] });
    expect(readdirSync(subsetDir).sort()).toEqual(['class-1.safetensors', 'images', 'metrics']);
    expect(one.epochsRun).toEqual({ 'class-1': 1 });
    expect(values(one.models[0].encoder.parameters()[0])).toEqual(
      values(all.models[1].encoder.parameters()[0]),
    );
    await expect(trainClassSpecific({ ...options, storage: memoryStorage(), classes: [2] })).rejects.toThrow(
      /class 2 is not a class of bands. name classes from 0 to 1/,
    );
    for (const model of [...all.models, ...one.models]) model.dispose();
  });
});
