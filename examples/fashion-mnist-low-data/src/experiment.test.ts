import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import type { ReportFiles } from '@perturb/eval/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLowDataExperiment } from './experiment';
import { parseFlags } from './flags';
import { type LowDataOverrides, METHODS, resolveOptions } from './options';
import type { ExperimentResult } from './report';
import type { RunResult } from './run';

/** Two steps per classifier, a one-level Glow: the whole pipeline in seconds. */
const TINY: LowDataOverrides = {
  dataset: 'fashion-mnist-small',
  trainSize: 20,
  testSize: 20,
  epochs: 1,
  batchSize: 10,
  flow: { levels: 1, steps: 1, hidden: 8, epochs: 1, batchSize: 10 },
  backend: 'wasm',
  progress: false,
};

/** Output folders of the runs, removed after the tests. */
const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perturb-low-data-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A run's numbers without its wall time, which is all that may differ between equal runs. */
const numbers = ({ seconds: _seconds, ...rest }: RunResult) => rest;

describe('the low-data experiment, end to end at a tiny size', () => {
  let out: string;
  let first: ExperimentResult;
  let files: ReportFiles;
  let second: ExperimentResult;

  beforeAll(async () => {
    out = tempDir();
    ({ result: first, files } = await runLowDataExperiment({ ...TINY, out }));
    second = (await runLowDataExperiment({ ...TINY, out: tempDir() })).result;
  });

  it('trains every method on the requested data and writes the report', () => {
    expect(first.dataset).toBe('fashion-mnist-small');
    expect([first.trainSize, first.testSize]).toEqual([20, 20]);
    expect(first.runs.map((r) => r.method)).toEqual([...METHODS]);
    expect(first.flowTestBitsPerDim).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ExperimentResult;
    expect(saved.runs.map(numbers)).toEqual(first.runs.map(numbers));
    expect(files.markdown).toBe(join(out, 'report.md'));
    const markdown = readFileSync(files.markdown, 'utf8');
    for (const method of METHODS) expect(markdown).toContain(method);
    expect(readFileSync(files.html, 'utf8').includes('<table>')).toBe(true);
    expect(existsSync(files.plot)).toBe(true);
    expect(existsSync(join(out, 'la-glow-perturbations.png'))).toBe(true);
    expect(existsSync(join(out, 'flow', 'checkpoint.safetensors'))).toBe(true);
  });

  it('measures accuracy, top-5 accuracy and calibration error in [0, 1]', () => {
    for (const run of first.runs) {
      for (const value of [run.accuracy, run.top5Accuracy, run.ece]) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      expect(run.top5Accuracy).toBeGreaterThanOrEqual(run.accuracy);
      expect(Number.isFinite(run.trainLoss) && Number.isFinite(run.testLoss)).toBe(true);
    }
  });

  it('repeats every number for the same seed', () => {
    expect(second.runs.map(numbers)).toEqual(first.runs.map(numbers));
    expect(second.flowTestBitsPerDim).toBe(first.flowTestBitsPerDim);
    // The methods really differ: their training objectives are not all the same.
    expect(new Set(first.runs.map((r) => r.trainLoss)).size).toBe(METHODS.length);
  });

  it('resumes from its checkpoints, and refuses them for other settings', async () => {
    const again = (await runLowDataExperiment({ ...TINY, out })).result;
    expect(again.runs.map(numbers)).toEqual(first.runs.map(numbers));
    await expect(runLowDataExperiment({ ...TINY, out, lr: 0.01 })).rejects.toThrow(
      /was written by a run with other settings/,
    );
  });
});

describe('options and flags', () => {
  it('maps flags onto options and defaults the rest', () => {
    const flags = parseFlags([
      '--train-size',
      '100',
      '--seeds',
      '0,1',
      '--methods',
      'baseline,a-fan',
      '--quiet',
    ]);
    const options = resolveOptions(flags === 'help' ? {} : flags);
    expect(options).toMatchObject({ trainSize: 100, seeds: [0, 1], methods: ['baseline', 'a-fan'] });
    expect(options.progress).toBe(false);
    expect(options.flow.levels).toBe(2);
    expect(parseFlags(['--help'])).toBe('help');
  });

  it('rejects unknown flags, non-numbers and bad settings with a PerturbError', () => {
    expect(() => parseFlags(['--trainsize', '5'])).toThrow(PerturbError);
    expect(() => parseFlags(['--epochs', 'ten'])).toThrow(/--epochs is "ten", not a number/);
    expect(() => resolveOptions({ methods: ['a-fan'] })).toThrow(/leave out the baseline/);
    expect(() => resolveOptions({ flow: { levels: 0 } })).toThrow(/flow levels is 0/);
    expect(() => resolveOptions({ seeds: [1.5] })).toThrow(PerturbError);
  });
});
