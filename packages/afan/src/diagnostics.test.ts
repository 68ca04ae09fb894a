import * as tf from '@tensorflow/tfjs-core';
import { TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { afanDiagnostics } from './diagnostics';
import { CLASSES, toyBatch } from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('afanDiagnostics', () => {
  it('reports the size of δ next to f and the losses it causes, without touching the model', () => {
    const model = new TinyClassifier({ numClasses: CLASSES, seed: 1 });
    const batch = toyBatch(4, 2);
    const before = model.stateDict();
    const snapshot = Object.fromEntries(
      Object.entries(before).map(([k, v]) => [k, Array.from(v.dataSync())]),
    );
    const live = tf.memory().numTensors;
    const [report] = afanDiagnostics(model, batch, {
      sites: ['features'],
      strengths: [0.5, 1],
      stepSize: 0.01,
    });
    expect(tf.memory().numTensors).toBe(live);
    expect(report.site).toBe('features');
    // The tail after 'features' is linear, so every step has the same sign: ‖δ‖∞ = 5·γ.
    expect(report.deltaLinf).toBeCloseTo(0.05, 6);
    const elements = 8 * 8 * 8;
    expect(report.deltaL2).toBeCloseTo(0.05 * Math.sqrt(elements), 5);
    const featureNorms = tf.tidy(() => {
      const f = model.head(batch.x, 'features', { training: false });
      return {
        l2: Array.from(tf.norm(tf.reshape(f, [4, -1]), 2, 1).dataSync()),
        linf: Array.from(tf.max(tf.reshape(f, [4, -1]), 1).dataSync()),
      };
    });
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(report.relativeL2).toBeCloseTo(mean(featureNorms.l2.map((n) => report.deltaL2 / n)), 5);
    expect(report.relativeLinf).toBeCloseTo(mean(featureNorms.linf.map((n) => 0.05 / n)), 5);
    expect(report.adversarialLosses.map((l) => l.strength)).toEqual([0.5, 1]);
    expect(report.adversarialLosses[0].loss).toBeGreaterThan(report.cleanLoss);
    expect(report.adversarialLosses[1].loss).toBeGreaterThan(report.adversarialLosses[0].loss);
    for (const [name, values] of Object.entries(model.stateDict()))
      expect(Array.from(values.dataSync()), name).toEqual(snapshot[name]);
  });

  it('reports no perturbation at ε = 0', () => {
    const model = new TinyClassifier({ numClasses: CLASSES, seed: 1 });
    const [report] = afanDiagnostics(model, toyBatch(4, 2), { sites: ['stem'], epsilon: 0 });
    expect(report.deltaL2).toBe(0);
    expect(report.relativeLinf).toBe(0);
    expect(report.adversarialLosses[0].loss).toBeCloseTo(report.cleanLoss, 6);
  });
});
