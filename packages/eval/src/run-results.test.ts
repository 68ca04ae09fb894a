import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunResults } from './run-results';

/** Writes a `result.json` shaped like `perturb train`'s (only the fields records use, plus noise). */
function writeResult(
  path: string,
  fields: { trainSize?: number; seed?: number; accuracy: number; seconds: number; method?: string },
): void {
  mkdirSync(path, { recursive: true });
  const result = {
    ...(fields.method ? { method: fields.method } : {}),
    config: { model: 'resnet20', seed: fields.seed, trainSize: fields.trainSize, augmenters: [] },
    testAccuracy: fields.accuracy,
    test: { loss: 1.2, accuracy: fields.accuracy, count: 1000 },
    epochs: [],
    backend: 'cpu',
    seconds: fields.seconds,
    finishedAt: '2025-01-01T00:00:00.000Z',
  };
  writeFileSync(join(path, 'result.json'), JSON.stringify(result));
}

describe('readRunResults', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'perturb-eval-runs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps the runs/<method>/n<size>-s<seed> layout and a method field to sorted records', () => {
    writeResult(join(dir, 'runs', 'pixel-pgd', 'n100-s1'), {
      trainSize: 100,
      seed: 1,
      accuracy: 0.6,
      seconds: 31,
    });
    writeResult(join(dir, 'runs', 'baseline', 'n100-s0'), {
      trainSize: 100,
      seed: 0,
      accuracy: 0.5,
      seconds: 12,
    });
    // Size and seed missing from the config: taken from the folder name.
    writeResult(join(dir, 'runs', 'baseline', 'n500-s3'), { accuracy: 0.7, seconds: 40 });
    writeResult(join(dir, 'extra', 'la-glow-run'), {
      method: 'la-glow',
      trainSize: 100,
      seed: 0,
      accuracy: 0.65,
      seconds: 90,
    });
    writeResult(join(dir, '.cache', 'ignored'), {
      method: 'hidden',
      trainSize: 1,
      seed: 0,
      accuracy: 0,
      seconds: 0,
    });
    const records = readRunResults(dir).map(({ source: _source, ...rest }) => rest);
    expect(records).toEqual([
      { method: 'baseline', trainSize: 100, seed: 0, accuracy: 0.5, seconds: 12 },
      { method: 'baseline', trainSize: 500, seed: 3, accuracy: 0.7, seconds: 40 },
      { method: 'la-glow', trainSize: 100, seed: 0, accuracy: 0.65, seconds: 90 },
      { method: 'pixel-pgd', trainSize: 100, seed: 1, accuracy: 0.6, seconds: 31 },
    ]);
    expect(readRunResults(dir)[0].source).toBe(join(dir, 'runs', 'baseline', 'n100-s0', 'result.json'));
  });

  it("counts a resumed run's training over every sitting", () => {
    const path = join(dir, 'runs', 'baseline', 'n100-s0');
    writeResult(path, { accuracy: 0.5, seconds: 60 });
    const file = join(path, 'result.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), trainingSeconds: 600 }));
    expect(readRunResults(dir)[0].seconds).toBe(600);
    // Files written before trainingSeconds existed: the sum of their epochs' seconds.
    const epochs = [{ seconds: 200 }, { seconds: 250 }];
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), trainingSeconds: undefined, epochs }),
    );
    expect(readRunResults(dir)[0].seconds).toBe(450);
    expect(readRunResults(dir)[0].cpuSeconds).toBeUndefined();
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), trainingCpuSeconds: 420 }),
    );
    expect(readRunResults(dir)[0].cpuSeconds).toBe(420);
  });

  it('names the file when the method, a field or the JSON is missing', () => {
    writeResult(join(dir, 'loose'), { trainSize: 100, seed: 0, accuracy: 0.5, seconds: 1 });
    expect(() => readRunResults(dir)).toThrow(/cannot tell the method of .*loose/);
    rmSync(join(dir, 'loose'), { recursive: true });
    writeResult(join(dir, 'runs', 'baseline', 'other'), {
      method: 'baseline',
      seed: 0,
      accuracy: 0.5,
      seconds: 1,
    });
    expect(() => readRunResults(dir)).toThrow(/no numeric config.trainSize/);
    writeFileSync(join(dir, 'runs', 'baseline', 'other', 'result.json'), '{ truncated');
    expect(() => readRunResults(dir)).toThrow(/not valid JSON/);
    expect(() => readRunResults(join(dir, 'missing'))).toThrow(/cannot read the folder/);
  });
});
