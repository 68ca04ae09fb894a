import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { gridRuns, readCompareConfig, runCompare } from './compare';
import { writeCompareReport } from './report';
import { fakeBin } from './testing/fake-perturb';

function compareFile(dir: string, settings: Record<string, unknown>): string {
  const path = join(dir, 'grid.yaml');
  writeFileSync(path, stringify(settings));
  return path;
}

describe('perturb compare', () => {
  it('expands methods × sizes × seeds into run folders and substitutes the shared flow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const config = readCompareConfig(
      compareFile(dir, {
        base: { epochs: 2 },
        methods: { baseline: {}, lag: { augmenters: [{ latentAdversarial: { flow: 'shared' } }] } },
        seeds: [0, 1],
        trainSizes: [100, 500],
        flow: { epochs: 1 },
        out: join(dir, 'out'),
      }),
    );
    const runs = gridRuns(config);
    expect(runs).toHaveLength(8);
    expect(runs[0].dir).toBe(join(dir, 'out', 'runs', 'baseline', 'n100-s0'));
    expect(runs[1].settings).toMatchObject({
      epochs: 2,
      trainSize: 100,
      seed: 0,
      augmenters: [{ latentAdversarial: { flow: join(dir, 'out', 'flow', 'checkpoint.safetensors') } }],
    });
  });

  it("gives a method's step budget precedence over the base's epochs", () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const config = readCompareConfig(
      compareFile(dir, {
        base: { epochs: 30 },
        methods: { baseline: {}, budget: { steps: 240 } },
        trainSizes: [500, 5000],
        out: join(dir, 'out'),
      }),
    );
    const [epochs, budget] = gridRuns(config);
    expect(epochs.settings).toMatchObject({ epochs: 30 });
    expect(budget.settings).toMatchObject({ steps: 240, trainSize: 500 });
    expect(budget.settings).not.toHaveProperty('epochs');
  });

  it('substitutes the shared VAE-GANs and checks their section up front', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const onManifold = { augmenters: [{ onManifoldAdversarial: { models: 'shared', iterations: 2 } }] };
    const grid = (settings: Record<string, unknown>) =>
      readCompareConfig(
        compareFile(dir, { methods: { vae: onManifold }, out: join(dir, 'out'), ...settings }),
      );
    const [run] = gridRuns(grid({ vaegan: { epochs: 1 } }));
    expect(run.settings.augmenters).toEqual([
      { onManifoldAdversarial: { models: join(dir, 'out', 'vaegan'), iterations: 2 } },
    ]);
    expect(() => grid({})).toThrow(
      /a method uses `models: shared` but .*grid\.yaml has no `vaegan:` section\. add the `perturb train-vaegan` settings/,
    );
    expect(() => grid({ vaegan: { epochz: 1 } })).toThrow(
      /"epochz" is not a setting of .*grid\.yaml \(vaegan\)\. did you mean "epochs"\?/,
    );
    expect(() => grid({ vaegan: { padTo: 64 } })).toThrow(
      /method vae trains on 32×32 images but the shared class-specific VAE-GANs on 64×64/,
    );
  });

  it('rejects bad grids before training anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    expect(() => readCompareConfig(compareFile(dir, { methods: {} }))).toThrow(
      /"methods" is \{\} in .*\. add at least one method/,
    );
    expect(() => readCompareConfig(compareFile(dir, { methods: { a: { epochz: 1 } } }))).toThrow(
      /"epochz" is not a setting of .*grid.yaml \(method a\)/,
    );
    expect(() => readCompareConfig(compareFile(dir, { methods: { 'a/b': {} } }))).toThrow(
      /"methods.a\/b" is \{\} in .*\. a method name names its folder: use letters/,
    );
    // Twice the same seed or size would train one folder twice at once.
    expect(() => readCompareConfig(compareFile(dir, { methods: { a: {} }, seeds: [0, 0] }))).toThrow(
      /"seeds" is \[0,0\] in .*\. list each seed once \(0 is there twice/,
    );
    expect(() =>
      readCompareConfig(compareFile(dir, { methods: { a: {} }, trainSizes: [100, 200, 100] })),
    ).toThrow(/list each training-set size once \(100 is there twice/);
    expect(() => readCompareConfig(compareFile(dir, { methods: { a: {} }, jobs: 'two' }))).toThrow(
      /"jobs" is "two" in .*\. use a number/,
    );
    expect(() => readCompareConfig(compareFile(dir, { methods: { a: { plugins: ['./p.js'] } } }))).toThrow(
      /"plugins" is set in method a of .*\. name plugins once, at the top of the compare config/,
    );
  });

  it('skips finished runs and finishes an interrupted grid when run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const config = readCompareConfig(
      compareFile(dir, {
        methods: { baseline: {}, flip: { augmenters: ['horizontalFlip'] } },
        seeds: [12, 13],
        jobs: 2,
        out: join(dir, 'out'),
      }),
    );
    // Both seed-13 runs fail on their first attempt, in whichever order the two jobs finish.
    const failure = await runCompare(config, { bin }).then(
      () => '',
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/^2 run\(s\) failed: /);
    expect(failure).toMatch(/baseline n0 s13: exited with code 1/);
    expect(failure).toMatch(/flip n0 s13: exited with code 1/);
    const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
    expect(calls()).toHaveLength(4);
    let reported = 0;
    await runCompare(config, { bin, onDone: () => void reported++ });
    expect(calls()).toHaveLength(6); // only the two failed runs ran again
    expect(reported).toBe(1);
    for (const run of gridRuns(config)) expect(existsSync(join(run.dir, 'result.json'))).toBe(true);

    // The report reads the runs only, not a shared model's own result.json.
    mkdirSync(join(dir, 'out', 'flow'), { recursive: true });
    writeFileSync(join(dir, 'out', 'flow', 'result.json'), '{"testBitsPerDim": 3.4}');
    const { markdown } = writeCompareReport(join(dir, 'out'));
    const report = readFileSync(markdown, 'utf8');
    expect(report).toMatch(/\| flip \| 0 \| 2 \| 50\.00 \| 0\.00 \|/);
    // Titled after the grid's folder, methods in the config's order, the config's hash recorded.
    expect(report).toMatch(/^# out: test accuracy by method\n/);
    expect(report).toMatch(/\| config \| sha256:[0-9a-f]{16} of compare\.yaml \|/);
    expect(report).toContain('| git commit | not recorded |');
  });

  it("reports the code the runs recorded over the code writing the report, and the script's when they did not", () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const writeRun = (method: string, seed: number, code?: object, threads?: number) => {
      const folder = join(dir, 'runs', method, `n10-s${seed}`);
      mkdirSync(folder, { recursive: true });
      const result = {
        config: { trainSize: 10, seed },
        testAccuracy: 0.5,
        seconds: 1,
        ...(code ? { code } : {}),
        ...(threads ? { threads } : {}),
      };
      writeFileSync(join(folder, 'result.json'), JSON.stringify(result));
    };
    // The report's own script sits in a folder with a package.json of version 9.9.9 and no git.
    mkdirSync(join(dir, 'pkg', 'dist'), { recursive: true });
    writeFileSync(join(dir, 'pkg', 'package.json'), '{"version": "9.9.9"}');
    const bin = join(dir, 'pkg', 'dist', 'bin.js');
    writeRun('baseline', 0, { commit: 'abc123', version: '1.0.0' });
    writeRun('flip', 0, { commit: 'def456', version: '1.0.0' });
    const recorded = readFileSync(writeCompareReport(dir, { bin }).markdown, 'utf8');
    expect(recorded).toContain('| git commit | abc123, def456 |');
    expect(recorded).toContain('| perturb version | 1.0.0 |');
    expect(recorded).toMatch(
      /\| threads \| \d+ (\(PERTURB_WASM_THREADS\)|wasm thread\(s\) a run \(cores ÷ runs at once, compare's rule\)); the runs did not record it \|/,
    );
    writeRun('flip', 1, undefined, 3);
    const mixed = readFileSync(writeCompareReport(dir, { bin }).markdown, 'utf8');
    expect(mixed).toContain('| perturb version | 9.9.9 |');
    expect(mixed).toMatch(
      /\| threads \| 3 thread\(s\) a run \(recorded by the runs\); 2 run\(s\) did not record theirs: \d+ /,
    );
  });

  it('refuses to reuse finished runs for changed settings, and keeps them when the grid moves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const settings = { methods: { baseline: {} }, base: { lr: 0.1 }, jobs: 1, out: join(dir, 'out') };
    await runCompare(readCompareConfig(compareFile(dir, settings)), { bin });
    const changed = { ...settings, base: { lr: 0.5 } };
    await expect(runCompare(readCompareConfig(compareFile(dir, changed)), { bin })).rejects.toThrow(
      /1 finished run\(s\) in .* were trained with other settings than the config gives them now \(baseline n0 s0\)\. restore the settings, or delete those runs' folders/,
    );
    cpSync(join(dir, 'out'), join(dir, 'moved'), { recursive: true });
    await runCompare(readCompareConfig(compareFile(dir, { ...settings, out: join(dir, 'moved') })), { bin });
    expect(readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('runs only the chosen methods, leaving the rest of the grid for later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const config = readCompareConfig(
      compareFile(dir, {
        methods: { baseline: {}, flip: { augmenters: ['horizontalFlip'] } },
        jobs: 1,
        out: join(dir, 'out'),
      }),
    );
    await expect(runCompare(config, { bin, methods: ['flipp'] })).rejects.toThrow(
      'the grid has no method "flipp". choose from baseline, flip',
    );
    const ran = await runCompare(config, { bin, methods: ['flip'] });
    expect(ran.map((run) => run.method)).toEqual(['flip']);
    const [baseline, flip] = gridRuns(config);
    expect(existsSync(join(flip.dir, 'result.json'))).toBe(true);
    expect(existsSync(join(baseline.dir, 'result.json'))).toBe(false);
    // One job at a time: it gets every core's wasm thread, unless the environment says otherwise.
    const threads = process.env.PERTURB_WASM_THREADS ?? String(availableParallelism());
    expect(readFileSync(join(dir, 'threads.log'), 'utf8')).toBe(`${threads}\n`);
  });

  it('runs only the chosen seeds, so processes can share a grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const config = readCompareConfig(
      compareFile(dir, { methods: { baseline: {} }, seeds: [0, 1, 2], jobs: 1, out: join(dir, 'out') }),
    );
    await expect(runCompare(config, { bin, seeds: [3] })).rejects.toThrow(
      "the grid has no seed 3. choose from 0, 1, 2, or add the seed to the config's `seeds:`",
    );
    const ran = await runCompare(config, { bin, seeds: [2, 0] });
    expect(ran.map((run) => run.seed)).toEqual([0, 2]);
    const finished = gridRuns(config).map((run) => existsSync(join(run.dir, 'result.json')));
    expect(finished).toEqual([true, false, true]);
  });

  it('runs only the chosen training-set sizes, leaving the other column for a later sitting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const config = readCompareConfig(
      compareFile(dir, { methods: { baseline: {} }, trainSizes: [10, 20], jobs: 1, out: join(dir, 'out') }),
    );
    await expect(runCompare(config, { bin, sizes: [30] })).rejects.toThrow(
      "the grid has no training-set size 30. choose from 10, 20, or add the size to the config's `trainSizes:`",
    );
    const ran = await runCompare(config, { bin, sizes: [20] });
    expect(ran.map((run) => run.trainSize)).toEqual([20]);
    expect(gridRuns(config).map((run) => existsSync(join(run.dir, 'result.json')))).toEqual([false, true]);
  });

  it("compares a shared flow's section as written, so adding weightDecay counts as a change", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const settings = {
      methods: { lag: { augmenters: [{ latentAdversarial: { flow: 'shared' } }] } },
      flow: { epochs: 1 },
      jobs: 1,
      out: join(dir, 'out'),
    };
    await runCompare(readCompareConfig(compareFile(dir, settings)), { bin });
    // The folder records the section as given: no weightDecay, as before the setting existed.
    const written = parseYaml(readFileSync(join(dir, 'out', 'flow', 'config.yaml'), 'utf8'));
    expect(written).toEqual({ epochs: 1, out: join(dir, 'out', 'flow') });

    const decayed = { ...settings, flow: { epochs: 1, weightDecay: 1e-4 } };
    await expect(runCompare(readCompareConfig(compareFile(dir, decayed)), { bin })).rejects.toThrow(
      /holds the shared flow trained with other settings than the `flow:` section \(weightDecay unset → 0\.0001\)/,
    );
  });

  it('trains the shared VAE-GANs once, before the runs, and refuses changed settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const settings = {
      methods: { vae: { augmenters: [{ onManifoldAdversarial: { models: 'shared' } }] } },
      seeds: [0, 1],
      vaegan: { dataset: 'fashion-mnist-small', epochs: 2 },
      jobs: 2,
      out: join(dir, 'out'),
    };
    const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
    const vaeganDir = join(dir, 'out', 'vaegan');
    await runCompare(readCompareConfig(compareFile(dir, settings)), { bin });
    expect(calls()[0]).toBe(`train-vaegan ${vaeganDir}`);
    // Two class models at once, as the grid runs two runs at once.
    expect(readFileSync(join(dir, 'flags.log'), 'utf8').split('\n')[0]).toBe('--jobs 2');
    expect(
      calls()
        .slice(1)
        .every((call) => call.startsWith('train ')),
    ).toBe(true);

    rmSync(join(dir, 'out', 'runs'), { recursive: true });
    await runCompare(readCompareConfig(compareFile(dir, settings)), { bin });
    expect(calls().filter((call) => call.startsWith('train-vaegan'))).toHaveLength(1);

    const changed = { ...settings, vaegan: { ...settings.vaegan, epochs: 3 } };
    await expect(runCompare(readCompareConfig(compareFile(dir, changed)), { bin })).rejects.toThrow(
      /holds the shared class-specific VAE-GANs trained with other settings .* delete .*vaegan to train it again/,
    );
  });

  it('gives each child one GPU through CUDA_VISIBLE_DEVICES, the least-used first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const config = readCompareConfig(
      compareFile(dir, {
        methods: { baseline: {}, flip: { augmenters: ['horizontalFlip'] } },
        seeds: [0, 1, 2],
        out: join(dir, 'out'),
      }),
      { jobs: 2 },
    );
    await runCompare(config, { bin, devices: ['0', '1'] });
    const seen = new Map(
      readFileSync(join(dir, 'devices.log'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
    const runs = gridRuns(config);
    expect(seen.size).toBe(runs.length);
    // The two jobs start their first runs at once, on the two devices; later runs take the one freed.
    expect([seen.get(runs[0].dir), seen.get(runs[1].dir)]).toEqual(['0', '1']);
    for (const run of runs) expect(['0', '1']).toContain(seen.get(run.dir));
  });

  it('runs one run by its index, and two such tasks train a shared model once between them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-grid-'));
    const bin = fakeBin(dir);
    const config = readCompareConfig(
      compareFile(dir, {
        methods: { baseline: {}, vae: { augmenters: [{ onManifoldAdversarial: { models: 'shared' } }] } },
        seeds: [0, 1],
        vaegan: { dataset: 'fashion-mnist-small', epochs: 1 },
        out: join(dir, 'out'),
      }),
    );
    const runs = gridRuns(config);
    // Runs 1 and 3 are vae's: both need the VAE-GANs, which neither finds trained.
    const ran = await Promise.all([
      runCompare(config, { bin, runIndex: 1 }),
      runCompare(config, { bin, runIndex: 3 }),
    ]);
    expect(ran.map(([run]) => run.dir)).toEqual([runs[1].dir, runs[3].dir]);
    const calls = readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
    expect(calls.filter((call) => call.startsWith('train-vaegan'))).toHaveLength(1);
    expect(calls.filter((call) => call.startsWith('train ')).sort()).toEqual([
      `train ${runs[1].dir}`,
      `train ${runs[3].dir}`,
    ]);
    // Run 0, baseline's, needs no shared model but trains them all: a Slurm array's task 0 goes first.
    rmSync(join(dir, 'out', 'vaegan'), { recursive: true });
    await runCompare(config, { bin, runIndex: 0 });
    expect(existsSync(join(dir, 'out', 'vaegan', 'result.json'))).toBe(true);
    await expect(runCompare(config, { bin, runIndex: 1, seeds: [0] })).rejects.toThrow(
      'a run index (1) is given with a choice of seeds. give one of the two',
    );
    await expect(runCompare(config, { bin, runIndex: 4 })).rejects.toThrow(
      /^run index 4 is outside the grid, whose 4 run\(s\) are numbered 0 to 3\./,
    );
  });
});
