#!/usr/bin/env node
/**
 * What each method's augmentation does to one trained classifier: the baseline ResNet-20 of the
 * 1,000-image table (seed 0, 30 epochs) scored with `perturb eval --attack <augmenter>` on a
 * balanced 1,000-image test subset, with every augmenter at its setting in the grids and
 * `ratio: 1` so that every image is transformed. Accuracy on the transformed images says how
 * hard its examples are for a classifier trained without it; the L∞/L2 distances how far they
 * move the images; the zero-strength rows (reconstructions only) how far each generative model's
 * manifold is from the data before any attack. Resumable (finished evaluations are read back);
 * writes docs/results/augmentation-probe.{json,md}.
 *
 *   npm run build && node experiments/augmentation-probe.mjs [--run <run folder>] [--test-size 1000]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEval } from '@perturb/cli';
import { atomicWrite, root } from './lib/runs.mjs';

const { values } = parseArgs({
  options: {
    run: { type: 'string', default: 'runs/fashion-mnist-1000/runs/baseline/n1000-s0' },
    'test-size': { type: 'string', default: '1000' },
  },
});
const testSize = Number(values['test-size']);
const flow = 'runs/fashion-mnist-low-data/flow/checkpoint.safetensors';
const models = 'runs/fashion-mnist-low-data/vaegan';
const probes = [
  ['Glow reconstruction F⁻¹(F(x))', { latentRandom: { flow, epsilon: 0 } }],
  ['LA-Glow random (ε = 0.2)', { latentRandom: { flow, epsilon: 0.2 } }],
  ['LA-Glow adversarial (official: L∞, ε = α = 0.05, 1 step)', { latentAdversarial: { flow } }],
  [
    'LA-Glow adversarial (paper CIFAR-10 preset: L2, ε = 1, 3 steps)',
    { latentAdversarial: { flow, preset: 'cifar10-paper' } },
  ],
  [
    'VAE-GAN reconstruction decode(encode(x))',
    { onManifoldAdversarial: { models, iterations: 0, epsilon: 0, ratio: 1 } },
  ],
  [
    'LA-VAE-GAN (low-data grid: 10 Adam steps of lr 0.02)',
    { onManifoldAdversarial: { models, iterations: 10, lr: 0.02, ratio: 1 } },
  ],
  ['LA-VAE-GAN (Stutz et al.: 40 Adam steps of lr 0.005)', { onManifoldAdversarial: { models, ratio: 1 } }],
  ['pixel PGD (grids: L∞, ε = 0.05)', 'pixelPgd'],
  ['random crop (padding 4)', 'randomCrop'],
];

const outDir = join(root, 'runs/augmentation-probe');
mkdirSync(outDir, { recursive: true });
const rows = [];
for (const [i, [label, attack]] of probes.entries()) {
  const out = join(outDir, `probe-${i}.json`);
  const sameProbe = (saved) =>
    JSON.stringify(saved.probe) === JSON.stringify({ label, attack, run: values.run, testSize });
  let result = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : null;
  if (!result || !sameProbe(result)) {
    process.stderr.write(`probe: ${label} ...\n`);
    const started = Date.now();
    const evaluated = await runEval({
      run: join(root, values.run),
      attack: typeof attack === 'string' ? attack : JSON.stringify(attack),
      testSize,
      out: `${out}.eval`,
    });
    result = {
      probe: { label, attack, run: values.run, testSize },
      seconds: (Date.now() - started) / 1000,
      evaluation: evaluated.evaluation,
    };
    atomicWrite(out, JSON.stringify(result, null, 2) + '\n');
  }
  rows.push(result);
}

const pct = (x) => (100 * x).toFixed(1);
const clean = rows[0].evaluation;
const md = [
  '# What each augmentation does to a trained classifier',
  '',
  `\`experiments/augmentation-probe.mjs\`: the baseline ResNet-20 of the 1,000-image table (\`${values.run}\`,`,
  `clean test accuracy ${pct(clean.accuracy)}% on a balanced ${clean.count}-image test subset) scored by \`perturb eval --attack\``,
  "on the test images transformed by each method's augmenter, at the grids' settings, every image",
  "transformed (`ratio: 1`). The flow and the VAE-GANs are the grids' shared models. Written",
  `${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| augmentation | accuracy on transformed (%) | vs clean (points) | mean L∞ | mean L2 | ECE on transformed |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(({ probe, evaluation }) => {
    const a = evaluation.attack;
    return `| ${probe.label} | ${pct(a.accuracy)} | ${(100 * (a.accuracy - evaluation.accuracy)).toFixed(1)} | ${a.linf.mean.toFixed(3)} | ${a.l2.mean.toFixed(2)} | ${a.ece.toFixed(3)} |`;
  }),
  '',
];
const notesPath = join(root, 'experiments/augmentation-probe.notes.md');
if (existsSync(notesPath)) md.push(readFileSync(notesPath, 'utf8'));
atomicWrite(join(root, 'docs/results/augmentation-probe.json'), JSON.stringify(rows, null, 2) + '\n');
atomicWrite(join(root, 'docs/results/augmentation-probe.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
