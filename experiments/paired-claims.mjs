/**
 * A grid's claims tested as one family: each claim compares method `a` with one or more methods
 * `b` at one training-set size, paired by seed (two-sided paired t-test on the score the grid's
 * report compares by), and every comparison's p-value is Holm-corrected within the whole list,
 * so a claim is only called significant when it survives all the others being tested too:
 *   node experiments/paired-claims.mjs docs/results/fashion-mnist-rerun experiments/fashion-mnist-rerun.claims.yaml fashion-mnist-rerun
 * → docs/results/<name>.claims.md. The claims file (YAML): `size` (training images, the default
 * for every claim) and `claims`, a list of `{ claim, a, b, size? }` where `b` is a method or a
 * list of them, and `pending`, methods that have no finished run yet (any other unknown method
 * name is refused, so a misspelt one is not mistaken for one still running). Comparisons with
 * fewer than two paired seeds are listed as waiting, outside the family, so the table can be
 * written while a grid is still running.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { comparedByPrimaryMetric, holmAdjust, pairedTTest } from '@perturb/eval';
import { readRunResults } from '@perturb/eval/node';
import { atomicWrite, root } from './lib/runs.mjs';

const [gridDir, claimsFile, name] = process.argv.slice(2);
if (!gridDir || !claimsFile || !name) {
  console.error('usage: node experiments/paired-claims.mjs <compare folder> <claims.yaml> <name>');
  process.exit(2);
}
const spec = parse(readFileSync(claimsFile, 'utf8'));
const { metric, records } = comparedByPrimaryMetric(readRunResults(join(gridDir, 'runs')));
const methods = new Set(records.map((r) => r.method));

/** Score in points (percent) by seed, for one method at one size. */
const bySeed = (method, size) =>
  new Map(
    records.filter((r) => r.method === method && r.trainSize === size).map((r) => [r.seed, 100 * r.accuracy]),
  );

const comparisons = spec.claims.flatMap(({ claim, a, b, size = spec.size }) =>
  [b].flat().map((other) => {
    for (const method of [a, other]) {
      // A misspelt method would otherwise read as "waiting" forever.
      if (!methods.has(method) && !(spec.pending ?? []).includes(method)) {
        console.error(
          `${claimsFile}: no runs of method "${method}" under ${gridDir}/runs; fix the name or list it under pending`,
        );
        process.exit(1);
      }
    }
    const [scoresA, scoresB] = [bySeed(a, size), bySeed(other, size)];
    const seeds = [...scoresA.keys()].filter((seed) => scoresB.has(seed)).sort((x, y) => x - y);
    const differences = seeds.map((seed) => scoresA.get(seed) - scoresB.get(seed));
    const test =
      seeds.length >= 2
        ? pairedTTest(
            seeds.map((s) => scoresA.get(s)),
            seeds.map((s) => scoresB.get(s)),
          )
        : null;
    return { claim, a, b: other, size, seeds, differences, test };
  }),
);
const tested = comparisons.filter((c) => c.test);
const holm = holmAdjust(tested.map((c) => c.test.p));
tested.forEach((c, i) => (c.holm = holm[i]));

const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
const pValue = (p) => (p < 0.001 ? '< 0.001' : p.toFixed(3));
const lines = [
  `Paired by seed, ${metric?.name ?? 'test accuracy'} in points; Holm-corrected over the ${tested.length} comparisons below with at least two paired seeds (${new Date().toISOString().slice(0, 10)}).`,
  '',
  '| claim | comparison | size | per seed | mean difference | p | p (Holm) |',
  '| --- | --- | ---: | --- | ---: | ---: | ---: |',
  ...comparisons.map((c) =>
    c.test
      ? `| ${c.claim} | ${c.a} − ${c.b} | ${c.size} | ${c.differences.map(signed).join(', ')} (seeds ${c.seeds.join(', ')}) | ${signed(c.test.meanDifference)} | ${pValue(c.test.p)} | ${c.holm < 0.05 ? `**${pValue(c.holm)}**` : pValue(c.holm)} |`
      : `| ${c.claim} | ${c.a} − ${c.b} | ${c.size} | waiting (${c.seeds.length} paired seed${c.seeds.length === 1 ? '' : 's'}) | | | |`,
  ),
];
const out = join(root, 'docs/results', `${name}.claims.md`);
atomicWrite(out, lines.join('\n') + '\n');
console.log(
  `wrote ${out}: ${tested.length} comparisons tested, ${comparisons.length - tested.length} waiting`,
);
