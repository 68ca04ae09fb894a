import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readCompareConfig } from './compare';
import { gridListing } from './grid-listing';

describe('perturb compare --dry-run', () => {
  it('lists every run in start order with its state, and the shared models', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-dry-run-'));
    const path = join(dir, 'grid.yaml');
    const out = join(dir, 'out');
    writeFileSync(
      path,
      stringify({
        methods: { baseline: {}, flip: { augmenters: ['horizontalFlip'] } },
        seeds: [0, 1],
        trainSizes: [100],
        base: { epochs: 1 },
        out,
      }),
    );
    const config = readCompareConfig(path);
    const finished = join(out, 'runs', 'flip', 'n100-s0');
    const started = join(out, 'runs', 'baseline', 'n100-s1');
    for (const folder of [finished, started]) mkdirSync(folder, { recursive: true });
    writeFileSync(join(finished, 'result.json'), '{}');
    writeFileSync(join(started, 'checkpoint.safetensors'), '');
    const lines = gridListing(config).trimEnd().split('\n');
    expect(lines[0]).toBe(`4 runs: 2 methods × 1 training-set sizes × 2 seeds → ${out}`);
    expect(lines[1]).toBe('shared models trained first: none');
    expect(lines.slice(2, 6)).toEqual([
      '  0\tbaseline\tn100\ts0\tto run',
      '  1\tflip\tn100\ts0\tfinished',
      '  2\tbaseline\tn100\ts1\tresumes',
      '  3\tflip\tn100\ts1\tto run',
    ]);
    expect(lines[6]).toBe('1 finished, 1 resumes, 2 to run');
    rmSync(dir, { recursive: true, force: true });
  });
});
