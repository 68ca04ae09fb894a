#!/usr/bin/env node
/**
 * max |F⁻¹(F(x)) − x| of a Glow over the 10,000 Fashion-MNIST test images (padded to 32×32).
 *
 *   npm run build && node experiments/glow-exactness.mjs [checkpoint.safetensors]
 *
 * Without a checkpoint it builds the benchmark's Glow (L=3, K=8, width 128) with data-dependent
 * ActNorm initialization on 512 training images. Prints one JSON line: the largest error, how
 * many images exceed 1e-4 or reconstruct to non-finite values, and the worst images.
 */
import { Rng, initBackend } from '@perturb/core';
import { toBatch } from '@perturb/datasets';
import { loadDataset } from '@perturb/datasets/node';
import { Glow, loadGlow } from '@perturb/flows';
import * as tf from '@tensorflow/tfjs-core';

const checkpoint = process.argv[2];
const backend = await initBackend();
const test = await loadDataset('fashion-mnist', { split: 'test', padTo: 32 });
let flow;
if (checkpoint) {
  flow = loadGlow(checkpoint);
} else {
  flow = new Glow({
    inputShape: [32, 32, 1],
    levels: 3,
    steps: 8,
    hidden: 128,
    rng: new Rng(0).child('flow'),
  });
  const train = await loadDataset('fashion-mnist', { split: 'train', padTo: 32 });
  const init = toBatch(
    train,
    Array.from({ length: 512 }, (_, i) => i),
  );
  flow.initialize(init.x);
  tf.dispose([init.x, init.y]);
}
flow.eval();
// Per-image max |F⁻¹(F(x)) − x|; a non-finite reconstruction counts as an infinite error.
const errors = new Float64Array(test.labels.length);
const started = Date.now();
for (let start = 0; start < errors.length; start += 250) {
  const indices = Array.from({ length: Math.min(250, errors.length - start) }, (_, i) => start + i);
  const perImage = tf.tidy(() => {
    const { x } = toBatch(test, indices);
    const { latents } = flow.encode(x);
    return tf.max(tf.abs(tf.sub(flow.decode(latents), x)), [1, 2, 3]).dataSync();
  });
  perImage.forEach((e, i) => (errors[start + i] = Number.isFinite(e) ? e : Infinity));
}
const order = Array.from(errors.keys()).sort((a, b) => errors[b] - errors[a]);
const maxAbsError = errors[order[0]];
console.log(
  JSON.stringify({
    backend: backend.name,
    checkpoint: checkpoint ?? null,
    images: errors.length,
    maxAbsError: Number.isFinite(maxAbsError) ? maxAbsError : 'Infinity',
    above1e4: errors.filter((e) => e > 1e-4).length,
    nonFinite: errors.filter((e) => !Number.isFinite(e)).length,
    worst: order
      .slice(0, 5)
      .map((i) => ({ image: i, error: Number.isFinite(errors[i]) ? errors[i] : 'Infinity' })),
    seconds: (Date.now() - started) / 1000,
  }),
);
