import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { assertNoTensorLeak } from './leaks';
import { Module } from './module';
import { runFolder } from './run-folder';
import { memoryStorage } from './run-storage';
import { type TrainingLoopOptions, readMetrics, runTrainingLoop } from './training-loop';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** One parameter w, trained by plain gradient steps on (w − batch)². */
class Scalar extends Module {
  readonly w = this.addParameter('w', tf.scalar(0));
}

/** A run of 3 epochs of 2 batches, the loss of each step and w after it. */
function loop(
  model: Scalar,
  overrides: Partial<TrainingLoopOptions<number, { mean: number }>> = {},
): TrainingLoopOptions<number, { mean: number }> {
  let sum = 0;
  let count = 0;
  const velocity = tf.variable(tf.scalar(0));
  return {
    model,
    optimizer: { state: () => ({ velocity }), loadState: (s) => velocity.assign(s.velocity as tf.Scalar) },
    epochs: 3,
    stepsPerEpoch: 2,
    fingerprint: { lr: 0.1 },
    batches: (epoch) => [epoch, epoch + 0.5],
    step: (target) => {
      const loss = (model.w.dataSync()[0] - target) ** 2;
      tf.tidy(() => {
        velocity.assign(tf.add(tf.mul(velocity, 0.5), tf.mul(tf.sub(model.w, target), 2)));
        model.w.assign(tf.sub(model.w, tf.mul(velocity, 0.1)));
      });
      sum += loss;
      count += 1;
      return { loss };
    },
    endEpoch: () => {
      const mean = sum / count;
      [sum, count] = [0, 0];
      return { mean };
    },
    ...overrides,
  };
}

const killedAfter = (epoch: number) => (record: { epoch: number }) => {
  if (record.epoch === epoch) throw new Error('killed');
};

describe('runTrainingLoop', () => {
  it('counts epochs and steps from 1 and writes metrics.jsonl and result.json', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    const steps: Array<[number, number, number]> = [];
    const { history } = await runTrainingLoop(
      loop(new Scalar(), {
        storage,
        onStep: (p) => steps.push([p.epoch, p.step, p.stepInEpoch]),
        result: (h) => ({ epochs: h.length }),
      }),
    );
    expect(steps).toEqual([
      [1, 1, 1],
      [1, 2, 2],
      [2, 3, 1],
      [2, 4, 2],
      [3, 5, 1],
      [3, 6, 2],
    ]);
    expect(history.map((r) => [r.epoch, r.step])).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
    ]);
    expect(readMetrics(storage).map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8'))).toEqual({ epochs: 3 });
  });

  it('writes the metrics log under another name, or none', async () => {
    const named = memoryStorage();
    await runTrainingLoop(loop(new Scalar(), { storage: named, metricsLog: 'metrics/a.jsonl' }));
    expect(readMetrics(named, 'metrics/a.jsonl').map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(readMetrics(named)).toEqual([]);
    const silent = memoryStorage();
    await runTrainingLoop(loop(new Scalar(), { storage: silent, metricsLog: false }));
    expect([...silent.files.keys()].some((name) => name.includes('metrics'))).toBe(false);
  });

  it('resumes a killed run to the same model, optimizer state and history', async () => {
    const straight = new Scalar();
    const full = await runTrainingLoop(loop(straight));
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    await expect(
      runTrainingLoop(loop(new Scalar(), { storage, onEpochEnd: killedAfter(2) })),
    ).rejects.toThrow('killed');
    const resumed = new Scalar();
    const result = await runTrainingLoop(loop(resumed, { storage }));
    expect(result.resumedEpochs).toBe(2);
    expect(resumed.w.dataSync()[0]).toBe(straight.w.dataSync()[0]);
    expect(result.history.map((r) => r.mean)).toEqual(full.history.map((r) => r.mean));
  });

  it('keeps a run in memory storage, as a browser page does, and resumes from it', async () => {
    const straight = new Scalar();
    const full = await runTrainingLoop(loop(straight));
    const storage = memoryStorage();
    await expect(
      runTrainingLoop(
        loop(new Scalar(), { storage, result: (h) => ({ epochs: h.length }), onEpochEnd: killedAfter(1) }),
      ),
    ).rejects.toThrow('killed');
    expect([...storage.files.keys()].sort()).toEqual(['checkpoint.safetensors', 'metrics.jsonl']);
    const resumed = new Scalar();
    const result = await runTrainingLoop(loop(resumed, { storage, result: (h) => ({ epochs: h.length }) }));
    expect(result.resumedEpochs).toBe(1);
    expect(resumed.w.dataSync()[0]).toBe(straight.w.dataSync()[0]);
    expect(readMetrics(storage).map((r) => r.mean)).toEqual(full.history.map((r) => r.mean));
    expect(JSON.parse(new TextDecoder().decode(storage.files.get('result.json')))).toEqual({ epochs: 3 });
  });

  it('refuses a checkpoint written with another fingerprint', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    await runTrainingLoop(loop(new Scalar(), { storage, epochs: 1 }));
    await expect(runTrainingLoop(loop(new Scalar(), { storage, fingerprint: { lr: 0.2 } }))).rejects.toThrow(
      /checkpoint\.safetensors was written by a run with other settings\. resume with the settings/,
    );
  });

  it('stops on a non-finite loss, naming where, and leaves the last good checkpoint as it was', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    await runTrainingLoop(loop(new Scalar(), { storage, epochs: 1 }));
    const good = readFileSync(join(outDir, 'checkpoint.safetensors'));
    const base = loop(new Scalar(), { storage });
    const poisoned = loop(new Scalar(), {
      storage,
      step: (target, at) => (at.step === 4 ? { loss: NaN } : base.step(target, at)),
    });
    await expect(runTrainingLoop(poisoned)).rejects.toThrow(
      /the loss became NaN at epoch 2, step 4; .* still holds the last good epoch\. lower the learning rate/,
    );
    expect(readFileSync(join(outDir, 'checkpoint.safetensors')).equals(good)).toBe(true);
  });

  it('refuses to checkpoint weights that blew up on an epoch’s last step, keeping the good one', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    await runTrainingLoop(loop(new Scalar(), { storage, epochs: 1 }));
    const good = readFileSync(join(outDir, 'checkpoint.safetensors'));
    const model = new Scalar();
    const base = loop(model, { storage });
    const blowUp = loop(model, {
      storage,
      step: (target, at) => {
        const outcome = base.step(target, at);
        if (at.step === 4) model.w.assign(tf.scalar(Infinity));
        return outcome;
      },
    });
    await expect(runTrainingLoop(blowUp)).rejects.toThrow(/"model\.w" holds Infinity/);
    expect(readFileSync(join(outDir, 'checkpoint.safetensors')).equals(good)).toBe(true);
  });

  it('removes the temp files of a killed run when it starts again', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const stale = join(outDir, `.checkpoint.safetensors.${dead}.1700000000000.tmp`);
    writeFileSync(stale, 'half a checkpoint');
    const killedAtFirstStep = loop(new Scalar(), {
      storage,
      step: () => {
        throw new Error('killed');
      },
    });
    await expect(runTrainingLoop(killedAtFirstStep)).rejects.toThrow('killed');
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(outDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('frees every tensor it reads from a checkpoint', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'perturb-loop-'));
    const storage = runFolder(outDir);
    const options = loop(new Scalar(), { storage, epochs: 1 });
    await runTrainingLoop(options);
    await assertNoTensorLeak(() => runTrainingLoop(options));
  });

  it('cuts the run at a step budget', async () => {
    const { history, steps } = await runTrainingLoop(loop(new Scalar(), { maxSteps: 3 }));
    expect(steps).toBe(3);
    expect(history.map((r) => r.step)).toEqual([2, 3]);
  });
});
