import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Rng } from '@perturb/core';
import { Glow } from '@perturb/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { runningMean } from '../src/canvas';
import { createClassifier, decodeClassifier, decodeGlow, encodeClassifier, encodeGlow } from '../src/models';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('the model files the page loads', () => {
  it('give back the Glow they were written from, configuration included', () => {
    const flow = new Glow({ inputShape: [28, 28, 1], levels: 1, steps: 1, hidden: 4, rng: new Rng(3) });
    const loaded = decodeGlow(encodeGlow(flow), 'glow.safetensors');
    expect(loaded.config).toEqual(flow.config);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const [a, b] = [flow, loaded].map((f) => f.encode(x).latents[0]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([x, a, b]);
    flow.dispose();
    loaded.dispose();
  });

  it('refuse a classifier file as a Glow, naming the file', () => {
    const classifier = createClassifier(0);
    expect(() => decodeGlow(encodeClassifier(classifier), 'models/glow.safetensors')).toThrow(
      /models\/glow.safetensors is not a Glow checkpoint/,
    );
    const loaded = decodeClassifier(encodeClassifier(classifier), 'classifier.safetensors');
    expect(loaded.numParameters()).toBe(classifier.numParameters());
    classifier.dispose();
    loaded.dispose();
  });
});

describe('runningMean', () => {
  it('averages each value with up to window − 1 before it', () => {
    expect(runningMean([4, 2, 6, 0], 2)).toEqual([4, 3, 4, 3]);
  });
});
