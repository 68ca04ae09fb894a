#!/usr/bin/env node
/**
 * Pictures of finished class-specific VAE-GANs: for each `class-<k>.safetensors` of a folder,
 * `<out>/class-<k>.png` holds the first 10 Fashion-MNIST test images of class k (padded to
 * 32×32), their reconstructions and 10 samples (vaeGanGridPng, as training draws after every
 * epoch; these are test images the model never saw).
 *
 *   npm run build && node experiments/vaegan-grids.mjs <vaegan folder> <out folder>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, initBackend } from '@perturb/core';
import { toBatch } from '@perturb/datasets';
import { loadDataset } from '@perturb/datasets/node';
import { vaeGanGridPng } from '@perturb/vaegan';
import { loadVaeGan } from '@perturb/vaegan/node';
import * as tf from '@tensorflow/tfjs-core';

const [folder, out] = process.argv.slice(2);
if (!folder || !out) {
  console.error('usage: node experiments/vaegan-grids.mjs <vaegan folder> <out folder>');
  process.exit(2);
}
await initBackend({ log: false });
const test = await loadDataset('fashion-mnist', { split: 'test', padTo: 32 });
mkdirSync(out, { recursive: true });
for (let k = 0; k < test.numClasses; k++) {
  const model = loadVaeGan(join(folder, `class-${k}.safetensors`));
  const members = Array.from(test.labels.keys())
    .filter((i) => test.labels[i] === k)
    .slice(0, 10);
  const { x, y } = toBatch(test, members);
  writeFileSync(join(out, `class-${k}.png`), vaeGanGridPng(model, x, new Rng(0).child(`class-${k}`)));
  tf.dispose([x, y]);
  model.dispose();
}
console.log(`wrote ${test.numClasses} grids to ${out}`);
