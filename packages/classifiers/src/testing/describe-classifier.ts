/**
 * The test battery every classifier gets with one `describeClassifier(...)` line: parameter
 * count against a reference, readable state names, site splitting in eval and train mode,
 * train/eval BatchNorm behaviour, seeded init, state-dict round trip, and (for small models)
 * a leak-free backward pass reaching every parameter. Runs on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  PerturbError,
  Rng,
  assertNoTensorLeak,
  decodeSafetensors,
  encodeSafetensors,
  initBackend,
} from '@perturb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SitedClassifier } from '../sited';
import { summarizeParameters } from '../summary';

/** What `describeClassifier` checks a model against. */
export interface ClassifierSpec {
  /** Builds the model from a seeded stream. */
  create: (rng: Rng) => SitedClassifier;
  /** Expected trainable parameter count (from the PyTorch peer or a published figure). */
  parameters: number;
  /** Parameter names that must exist, e.g. `'stage1.block0.conv1.weight'`. */
  names?: string[];
  /** NHWC input for the forward tests; omit for large models to only construct and count. */
  input?: [number, number, number, number];
  /** Expected feature shape at each site for `input`. */
  siteShapes?: Record<string, number[]>;
  /** Also run forward+backward (leak check, gradient to every parameter). Keep `input` tiny. */
  backward?: boolean;
}

const SEED = 7;

/** Largest absolute elementwise difference. */
function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** A copy of every parameter and buffer, for restoring after calls that update BN statistics. */
function snapshot(model: SitedClassifier): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, tf.clone(v)]));
}

function buffers(model: SitedClassifier): tf.Tensor[] {
  return model.namedBuffers().map(([, v]) => tf.clone(v));
}

function largestBufferChange(before: tf.Tensor[], after: tf.Tensor[]): number {
  return Math.max(0, ...before.map((b, i) => maxAbsDiff(b, after[i])));
}

function disposeAll(tensors: tf.Tensor[] | Record<string, tf.Tensor>): void {
  tf.dispose(Array.isArray(tensors) ? tensors : Object.values(tensors));
}

/** Registers the classifier battery for one model under `describe(name)`. */
export function describeClassifier(name: string, spec: ClassifierSpec): void {
  describe(name, () => {
    let model: SitedClassifier;
    let x: tf.Tensor4D;

    beforeAll(async () => {
      await initBackend({ backend: 'cpu', log: false });
      model = spec.create(new Rng(SEED));
      if (spec.input) x = new Rng(1).uniformTensor(spec.input) as tf.Tensor4D;
    });
    afterAll(() => {
      model.dispose();
      x?.dispose();
    });

    it('has the reference number of trainable parameters', () => {
      expect(model.numParameters()).toBe(spec.parameters);
      expect(summarizeParameters(model).total).toBe(spec.parameters);
    });

    it('names its state readably, under its sites and classifier', () => {
      const names = Object.keys(model.stateDict());
      for (const key of names) expect(key).toMatch(/^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$/);
      const roots = new Set(names.map((key) => key.split('.')[0]));
      expect([...roots]).toEqual([...model.sites, 'classifier'].filter((r) => roots.has(r)));
      expect(roots.has('classifier')).toBe(true);
      for (const expected of spec.names ?? []) expect(names).toContain(expected);
    });

    it('rejects an unknown site and a wrong channel count with a PerturbError', () => {
      const wrongChannels = tf.zeros([1, 8, 8, model.inChannels + 1]) as tf.Tensor4D;
      expect(() => model.tail(wrongChannels, 'nowhere', { training: false })).toThrow(PerturbError);
      expect(() => model.logits(wrongChannels, { training: false })).toThrow(/channels/);
      wrongChannels.dispose();
    });

    if (!spec.input) return;

    it('maps a batch to finite [batch, numClasses] logits and features of the documented shapes', () => {
      const logits = model.logits(x, { training: false });
      expect(logits.shape).toEqual([x.shape[0], model.numClasses]);
      expect(tf.tidy(() => tf.all(tf.isFinite(logits)).dataSync()[0])).toBe(1);
      logits.dispose();
      for (const [site, shape] of Object.entries(spec.siteShapes ?? {})) {
        const features = model.head(x, site, { training: false });
        expect(features.shape, site).toEqual(shape);
        features.dispose();
      }
    });

    it('gives tail(head(x, s), s) = logits(x) at every site in eval mode', () => {
      const whole = model.logits(x, { training: false });
      for (const site of model.sites) {
        const features = model.head(x, site, { training: false });
        const split = model.tail(features, site, { training: false });
        expect(maxAbsDiff(split, whole), site).toBeLessThan(1e-5);
        tf.dispose([features, split]);
      }
      whole.dispose();
    });

    it('gives the same logits and BatchNorm statistics split or whole in train mode', () => {
      const initial = snapshot(model);
      for (const site of model.sites) {
        model.loadStateDict(initial);
        const whole = model.logits(x, { training: true });
        const statsWhole = buffers(model);
        model.loadStateDict(initial);
        const features = model.head(x, site, { training: true });
        const split = model.tail(features, site, { training: true });
        const statsSplit = buffers(model);
        expect(maxAbsDiff(split, whole), site).toBeLessThan(1e-4);
        expect(largestBufferChange(statsWhole, statsSplit), site).toBeLessThan(1e-6);
        tf.dispose([whole, features, split, ...statsWhole, ...statsSplit]);
      }
      model.loadStateDict(initial);
      disposeAll(initial);
    });

    it('follows train()/eval(): batch statistics and updates in train mode, frozen running statistics in eval mode', () => {
      const initial = snapshot(model);
      const hasBatchNorm = model.namedBuffers().length > 0;
      model.eval();
      const before = buffers(model);
      const eval1 = model.logits(x);
      const eval2 = model.logits(x);
      expect(maxAbsDiff(eval1, eval2)).toBe(0);
      const afterEval = buffers(model);
      expect(largestBufferChange(before, afterEval)).toBe(0);
      model.train();
      const trained = model.logits(x);
      const afterTrain = buffers(model);
      if (hasBatchNorm) {
        expect(maxAbsDiff(trained, eval1)).toBeGreaterThan(1e-4);
        expect(largestBufferChange(before, afterTrain)).toBeGreaterThan(1e-4);
      } else {
        expect(maxAbsDiff(trained, eval1)).toBe(0);
      }
      tf.dispose([eval1, eval2, trained, ...before, ...afterEval, ...afterTrain]);
      model.loadStateDict(initial);
      disposeAll(initial);
    });

    it('is deterministic given its seed and round-trips its state dict through safetensors', () => {
      const twin = spec.create(new Rng(SEED));
      const stranger = spec.create(new Rng(SEED + 1));
      const expected = model.logits(x, { training: false });
      const fromTwin = twin.logits(x, { training: false });
      const fromStranger = stranger.logits(x, { training: false });
      expect(maxAbsDiff(fromTwin, expected)).toBe(0);
      expect(maxAbsDiff(fromStranger, expected)).toBeGreaterThan(1e-4);
      const { tensors } = decodeSafetensors(encodeSafetensors(model.stateDict()));
      stranger.loadStateDict(tensors);
      const loaded = stranger.logits(x, { training: false });
      expect(maxAbsDiff(loaded, expected)).toBe(0);
      tf.dispose([expected, fromTwin, fromStranger, loaded]);
      disposeAll(tensors);
      twin.dispose();
      stranger.dispose();
    });

    if (!spec.backward) return;

    it('backpropagates to every parameter in train mode without leaking tensors', async () => {
      const initial = snapshot(model);
      const params = model.parameters();
      const labels = tf.oneHot(tf.range(0, x.shape[0], 1, 'int32'), model.numClasses);
      const step = () => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.logits(x, { training: true })) as tf.Scalar,
          params,
        );
        const gradients = Object.values(grads);
        expect(gradients).toHaveLength(params.length);
        const allFinite = tf.tidy(
          () => tf.all(tf.stack(gradients.map((g) => tf.all(tf.isFinite(g))))).dataSync()[0],
        );
        expect(allFinite).toBe(1);
        tf.dispose([value, ...gradients]);
      };
      await assertNoTensorLeak(step, { warmup: 1, iterations: 2 });
      labels.dispose();
      model.loadStateDict(initial);
      disposeAll(initial);
    });
  });
}
