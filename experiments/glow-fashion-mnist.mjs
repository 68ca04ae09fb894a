#!/usr/bin/env node
/**
 * Glow (L=3, K=8, width 128) on 10,000 real Fashion-MNIST images for 5 epochs, perturb against
 * the PyTorch peer (`glow_peer.py --train --epochs 5 --n 10000`) over the same seeds, plus
 * max |F⁻¹(F(x)) − x| of each trained perturb flow over the 10,000 test images, and the same
 * Glow with flow-lp's exp-tanh coupling scale over its own seeds. Writes
 * docs/results/glow-fashion-mnist.{json,md}, with experiments/glow-fashion-mnist.notes.md
 * appended. Resumable: finished runs are read back.
 *
 *   npm run build && node experiments/glow-fashion-mnist.mjs [--seeds 0,1,2,3,4] [--exp-tanh-seeds 0,1,2] [--no-peer] [--no-perturb]
 *
 * perturb runs one seed at a time on one core and the peer (1 thread) on the other; start a
 * second process with `--no-peer --seeds <others>` to use both cores for perturb's runs. The
 * report is written once every run's result exists.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { atomicWrite, inSequence, root, runJsonCommand, runPeer, runPerturb, stats } from './lib/runs.mjs';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2,3,4' },
    'exp-tanh-seeds': { type: 'string', default: '0,1,2' },
    'no-peer': { type: 'boolean', default: false },
    'no-perturb': { type: 'boolean', default: false },
  },
});
const seeds = values.seeds.split(',').map(Number);
const expTanhSeeds = values['exp-tanh-seeds'].split(',').map(Number);
const runsDir = join(root, 'runs/glow');
mkdirSync(runsDir, { recursive: true });
const config = join(root, 'experiments/glow-fashion-mnist.yaml');

// The same Glow with flow-lp's bounded coupling scale, one seed, for the exactness comparison.
const expTanhConfig = join(root, 'experiments/glow-fashion-mnist-exp-tanh.yaml');

async function ours(seed, variant = '') {
  const out = join(runsDir, `perturb${variant}-s${seed}`);
  const settings = variant ? expTanhConfig : config;
  const result = await runPerturb(['train-flow', '--config', settings, '--seed', String(seed)], out);
  const exactness = await runJsonCommand(
    process.execPath,
    [join(root, 'experiments/glow-exactness.mjs'), join(out, 'checkpoint.safetensors')],
    join(runsDir, `exactness${variant}-s${seed}.json`),
  );
  return {
    seed,
    testBitsPerDim: result.testBitsPerDim,
    seconds: result.history.reduce((t, e) => t + e.seconds, 0),
    exactness,
  };
}

async function peer(seed) {
  const args = ['--train', '--epochs', '5', '--n', '10000', '--seed', String(seed), '--threads', '1'];
  const result = await runPeer('glow_peer.py', args, join(runsDir, `peer-s${seed}.json`));
  return { seed, testBitsPerDim: result.test_bpd, seconds: result.train_s };
}

const [perturbRuns, peerRuns] = await Promise.all([
  values['no-perturb']
    ? []
    : inSequence([...seeds.map((s) => () => ours(s)), ...expTanhSeeds.map((s) => () => ours(s, '-exptanh'))]),
  values['no-peer'] ? [] : inSequence(seeds.map((s) => () => peer(s))),
]);
const finished = (side) =>
  side === 'peer'
    ? seeds.every((s) => existsSync(join(runsDir, `peer-s${s}.json`)))
    : [
        ...seeds.map((s) => `exactness-s${s}.json`),
        ...expTanhSeeds.map((s) => `exactness-exptanh-s${s}.json`),
      ].every((f) => existsSync(join(runsDir, f)));
if (!finished('peer') || !finished('perturb')) process.exit(0);
// Runs done in this invocation are perturbRuns (the seeds' runs, then the exp-tanh ones); a
// report-only invocation (--no-perturb, or everything finished earlier) reads them back.
const ourRuns = perturbRuns.length
  ? perturbRuns
  : await inSequence([
      ...seeds.map((s) => () => ours(s)),
      ...expTanhSeeds.map((s) => () => ours(s, '-exptanh')),
    ]);
const expTanh = ourRuns.slice(seeds.length);
const all = {
  perturb: ourRuns.slice(0, seeds.length),
  peer: peerRuns.length ? peerRuns : await inSequence(seeds.map((s) => () => peer(s))),
};

const bpd = (runs) => stats(runs.map((r) => r.testBitsPerDim));
const [ob, pb, eb] = [bpd(all.perturb), bpd(all.peer), bpd(expTanh)];
const maxError = (r) => Number(r.exactness.maxAbsError); // 'Infinity' when a reconstruction is not finite
const worst = Math.max(...all.perturb.map(maxError));
const f = (v, d = 3) => v.toFixed(d);
// Hand-written analysis kept across regenerations.
const notesPath = join(root, 'experiments/glow-fashion-mnist.notes.md');
const notes = existsSync(notesPath) ? readFileSync(notesPath, 'utf8') : '';
const md = [
  '# Glow on Fashion-MNIST: perturb vs the PyTorch peer',
  '',
  'Setting of `glow_peer.py --train --epochs 5 --n 10000`: L=3, K=8, width 128 (793,824 parameters on both',
  'sides), 10,000 training images padded to 32×32×1, batch 64, Adam 1e-3 with a 200-step linear warm-up,',
  'gradient-norm clip 50, 5 epochs; test bits/dim on the 10,000 test images. perturb:',
  '[experiments/glow-fashion-mnist.yaml](../../experiments/glow-fashion-mnist.yaml) on wasm; peer: Debian torch, 1 thread.',
  `Written by \`experiments/glow-fashion-mnist.mjs\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| seed | perturb test bits/dim | peer test bits/dim | perturb max abs F⁻¹(F(x)) − x over the 10,000 test images | images above 1e-4 | perturb s | peer s |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...seeds.map(
    (s, i) =>
      `| ${s} | ${f(all.perturb[i].testBitsPerDim)} | ${f(all.peer[i].testBitsPerDim)} | ${maxError(all.perturb[i]).toExponential(1)} | ${all.perturb[i].exactness.above1e4} | ${all.perturb[i].seconds.toFixed(0)} | ${all.peer[i].seconds.toFixed(0)} |`,
  ),
  `| mean ± std | ${f(ob.mean)} ± ${f(ob.std)} | ${f(pb.mean)} ± ${f(pb.std)} | worst ${worst.toExponential(1)} | | | |`,
  '',
  `Difference of the means (perturb − peer): ${ob.mean - pb.mean >= 0 ? '+' : ''}${f(ob.mean - pb.mean)} bits/dim.`,
  '',
  "The same Glow with flow-lp's coupling scale exp(c·tanh h) instead of sigmoid(h + 2)",
  '([experiments/glow-fashion-mnist-exp-tanh.yaml](../../experiments/glow-fashion-mnist-exp-tanh.yaml)):',
  '',
  '| seed | test bits/dim | max abs F⁻¹(F(x)) − x over the 10,000 test images | images above 1e-4 |',
  '| ---: | ---: | ---: | ---: |',
  ...expTanh.map(
    (r) =>
      `| ${r.seed} | ${f(r.testBitsPerDim)} | ${maxError(r).toExponential(1)} | ${r.exactness.above1e4} |`,
  ),
  `| mean ± std | ${f(eb.mean)} ± ${f(eb.std)} | worst ${Math.max(...expTanh.map(maxError)).toExponential(1)} | |`,
  '',
  'Wall times are not a speed comparison (runs shared the machine); `npm run bench` times one step side by side.',
  '',
  ...(notes ? [notes] : []),
].join('\n');
mkdirSync(join(root, 'docs/results'), { recursive: true });
atomicWrite(
  join(root, 'docs/results/glow-fashion-mnist.json'),
  JSON.stringify({ seeds, ...all, perturbMean: ob, peerMean: pb, expTanh, expTanhMean: eb }, null, 2) + '\n',
);
atomicWrite(join(root, 'docs/results/glow-fashion-mnist.md'), md);
process.stdout.write(md);
