#!/usr/bin/env node
/**
 * Runs perturb and the PyTorch peer on the same low-data Fashion-MNIST recipe, 3 seeds, with and
 * without crop+flip, and writes docs/results/resnet20-parity.{json,md}. Resumable: finished
 * perturb runs are read from their result.json, finished peer runs from runs/parity/peer-*.json.
 *
 *   npm run build && node experiments/resnet20-parity.mjs [--seeds 0,1,2] [--peer-threads 1] [--no-peer] [--settings baseline,cropflip]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { atomicWrite, inSequence, root, runPeer, runPerturb, stats } from './lib/runs.mjs';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    'peer-threads': { type: 'string', default: '1' },
    // Run only perturb's runs (e.g. a second process on another core); the table is written when all results exist.
    'no-peer': { type: 'boolean', default: false },
    // Which settings to run: baseline, cropflip or both (to spread runs over processes).
    settings: { type: 'string', default: 'baseline,cropflip' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const runsDir = join(root, 'runs/parity');
mkdirSync(runsDir, { recursive: true });
const name = (aug) => (aug ? 'cropflip' : 'baseline');

function runOurs(seed, aug) {
  const args = ['train', '--config', join(root, 'experiments/resnet20-parity.yaml'), '--seed', String(seed)];
  if (aug) args.push('--augment', 'randomCrop,horizontalFlip');
  return runPerturb(args, join(runsDir, `perturb-${name(aug)}-s${seed}`));
}

function runResnetPeer(seed, aug) {
  const args = ['--train', '--n', '1000', '--epochs', '30', '--seed', String(seed), '--threads', values['peer-threads']];
  if (aug) args.push('--aug');
  return runPeer('resnet_peer.py', args, join(runsDir, `peer-${name(aug)}-s${seed}.json`));
}

// Two lanes: ours one run at a time (tfjs-wasm uses one core), the peer on the other core.
const settings = values.settings.split(',').map((name) => name.trim() === 'cropflip');
const jobs = seeds.flatMap((seed) => settings.map((aug) => ({ seed, aug })));
const [ours, peers] = await Promise.all([
  inSequence(jobs.map((j) => async () => ({ ...j, result: await runOurs(j.seed, j.aug) }))),
  values['no-peer'] ? [] : inSequence(jobs.map((j) => async () => ({ ...j, result: await runResnetPeer(j.seed, j.aug) }))),
]);
if (values['no-peer']) process.exit(0);

const table = [false, true].map((aug) => {
  const o = ours.filter((r) => r.aug === aug);
  const p = peers.filter((r) => r.aug === aug);
  const oursAcc = o.map((r) => 100 * r.result.testAccuracy);
  const peerAcc = p.map((r) => r.result.test_acc);
  return {
    setting: aug ? 'crop+flip' : 'no augmentation',
    seeds,
    perturb: oursAcc,
    peer: peerAcc,
    perturbMean: stats(oursAcc),
    peerMean: stats(peerAcc),
    difference: stats(oursAcc).mean - stats(peerAcc).mean,
    perturbSeconds: o.map((r) => r.result.seconds),
    peerSeconds: p.map((r) => r.result.train_s),
  };
});
const backend = ours[0]?.result.backend;
const md = [
  '# ResNet-20 on 1,000 Fashion-MNIST images: perturb vs the PyTorch peer',
  '',
  `Recipe of \`resnet_peer.py --train --n 1000 --epochs 30\` (SGD 0.1, Nesterov 0.9, wd 5e-4, batch 128, one-cycle,`,
  `28×28 zero-padded to 32×32), full 10,000-image test set, seeds ${seeds.join(', ')}. perturb on ${backend};`,
  `peer: Debian torch, ${values['peer-threads']} thread(s). Written by \`experiments/resnet20-parity.mjs\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| setting | perturb test acc % (per seed) | mean ± std | peer test acc % (per seed) | mean ± std | difference (points) |',
  '| --- | --- | --- | --- | --- | ---: |',
  ...table.map((t) => `| ${t.setting} | ${t.perturb.map((v) => v.toFixed(2)).join(', ')} | ${t.perturbMean.mean.toFixed(2)} ± ${t.perturbMean.std.toFixed(2)} | ${t.peer.map((v) => v.toFixed(2)).join(', ')} | ${t.peerMean.mean.toFixed(2)} ± ${t.peerMean.std.toFixed(2)} | ${t.difference >= 0 ? '+' : ''}${t.difference.toFixed(2)} |`),
  '',
  `Wall time per run (s): perturb ${table.flatMap((t) => t.perturbSeconds).map((s) => s.toFixed(0)).join(', ')}; peer ${table.flatMap((t) => t.peerSeconds).join(', ')}.`,
  '',
  'Both sides may run concurrently with other work, so the wall times are not a speed comparison;',
  '`npm run bench` measures speed side by side (see [../performance.md](../performance.md)).',
  '',
  'Differences in the recipe that remain: perturb crops each image at its own random offset, the',
  'peer one offset per batch; the training subset is the same (the first 100 images of each',
  'class); both evaluate the full 10,000-image test set once, after the last epoch.',
  '',
].join('\n');
mkdirSync(join(root, 'docs/results'), { recursive: true });
atomicWrite(join(root, 'docs/results/resnet20-parity.json'), JSON.stringify({ backend, table }, null, 2) + '\n');
atomicWrite(join(root, 'docs/results/resnet20-parity.md'), md);
process.stdout.write(md);
