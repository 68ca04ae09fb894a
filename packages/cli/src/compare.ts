/**
 * `perturb compare`: a grid of methods × training-set sizes × seeds, each a `perturb train` run
 * in its own process (one per core by default). Finished runs are skipped and interrupted ones
 * resume from their checkpoint, so killing and restarting the command finishes the grid without
 * redoing work. A flow that methods share (`flow: shared`) is trained once, first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { PerturbError, ProgressBar, writeFileAtomic } from '@perturb/core';
import { readConfigFile, resolveConfig } from './config';

export interface CompareConfig {
  /** Settings every run shares (any `perturb train` setting). */
  base: Record<string, unknown>;
  /** Method name → settings that override `base` (typically `augmenters`). */
  methods: Record<string, Record<string, unknown>>;
  /** Default [0]. */
  seeds: number[];
  /** Training-set sizes; default: `base.trainSize`. */
  trainSizes: number[];
  /** `perturb train-flow` settings of the flow that `flow: shared` refers to. */
  flow?: Record<string, unknown>;
  /** Runs at once. Default: one per core. */
  jobs: number;
  /** Output folder. */
  out: string;
}

export interface GridRun {
  method: string;
  trainSize: number;
  seed: number;
  dir: string;
  settings: Record<string, unknown>;
}

/** The token a method's augmenter options use for the grid's shared flow. */
export const SHARED_FLOW = 'shared';

/** Reads and validates a compare config file. */
export function readCompareConfig(
  path: string,
  overrides: { out?: string; jobs?: number } = {},
): CompareConfig {
  const raw = readConfigFile(path) as Partial<CompareConfig>;
  const known = ['base', 'methods', 'seeds', 'trainSizes', 'flow', 'jobs', 'out'];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      throw new PerturbError(`unknown setting "${key}" in ${path}`, `valid settings are ${known.join(', ')}`);
  }
  if (!raw.methods || typeof raw.methods !== 'object' || Object.keys(raw.methods).length === 0) {
    throw new PerturbError(
      `${path} has no methods`,
      'add a `methods:` mapping of method names to their settings',
    );
  }
  const base = raw.base ?? {};
  const config: CompareConfig = {
    base,
    methods: Object.fromEntries(Object.entries(raw.methods).map(([k, v]) => [k, v ?? {}])),
    seeds: raw.seeds ?? [0],
    trainSizes: raw.trainSizes ?? [typeof base.trainSize === 'number' ? base.trainSize : 0],
    ...(raw.flow ? { flow: raw.flow } : {}),
    jobs: overrides.jobs ?? raw.jobs ?? availableParallelism(),
    out: overrides.out ?? raw.out ?? 'runs/compare',
  };
  for (const name of Object.keys(config.methods)) {
    if (!/^[\w.+-]+$/.test(name))
      throw new PerturbError(
        `method name "${name}" in ${path} is not usable as a folder name`,
        'use letters, digits, -, _, + and .',
      );
  }
  // Validate every run's settings now, so a typo fails before hours of training.
  for (const run of gridRuns(config)) resolveConfig([run.settings], `${path} (method ${run.method})`);
  return config;
}

/** Every run of the grid, in the order they are started: sizes, then seeds, then methods. */
export function gridRuns(config: CompareConfig): GridRun[] {
  const flowPath = join(resolve(config.out), 'flow', 'checkpoint.safetensors');
  const runs: GridRun[] = [];
  for (const trainSize of config.trainSizes) {
    for (const seed of config.seeds) {
      for (const [method, overrides] of Object.entries(config.methods)) {
        const dir = join(resolve(config.out), 'runs', method, `n${trainSize}-s${seed}`);
        const settings = substituteSharedFlow(
          { ...config.base, ...overrides, ...(trainSize > 0 ? { trainSize } : {}), seed, out: dir },
          flowPath,
        );
        runs.push({ method, trainSize, seed, dir, settings });
      }
    }
  }
  return runs;
}

/** Whether any run needs the shared flow. */
export function needsSharedFlow(config: CompareConfig): boolean {
  return JSON.stringify(config.methods).includes(`"flow":"${SHARED_FLOW}"`);
}

function substituteSharedFlow(settings: Record<string, unknown>, flowPath: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(settings), (key, value) =>
    key === 'flow' && value === SHARED_FLOW ? flowPath : value,
  );
}

export interface CompareOptions {
  /** The `perturb` executable's script, run with this Node. */
  bin: string;
  /** Called once the grid is done (e.g. to write the report). */
  onDone?: (runs: GridRun[]) => Promise<void> | void;
}

/** Runs the grid (skipping finished runs) and returns its runs. */
export async function runCompare(config: CompareConfig, options: CompareOptions): Promise<GridRun[]> {
  const out = resolve(config.out);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, 'compare.yaml'), stringify(config));
  if (needsSharedFlow(config)) {
    if (!config.flow) {
      throw new PerturbError(
        'a method uses `flow: shared` but the config has no `flow:` section',
        'add the flow training settings under `flow:`',
      );
    }
    const flowDir = join(out, 'flow');
    if (!existsSync(join(flowDir, 'result.json'))) {
      process.stderr.write(`compare: training the shared flow in ${flowDir}\n`);
      writeFileAtomic(join(flowDir, 'config.yaml'), stringify({ ...config.flow, out: flowDir }));
      await runChild(
        options.bin,
        ['train-flow', '--config', join(flowDir, 'config.yaml')],
        join(flowDir, 'log.txt'),
        true,
      );
    }
  }
  const runs = gridRuns(config);
  const pending = runs.filter((run) => !existsSync(join(run.dir, 'result.json')));
  const bar = new ProgressBar({ total: runs.length, label: 'compare', start: runs.length - pending.length });
  let done = runs.length - pending.length;
  bar.update(done, { running: 0 });
  let next = 0;
  let running = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (next < pending.length) {
      const run = pending[next++];
      running++;
      mkdirSync(run.dir, { recursive: true });
      writeFileAtomic(join(run.dir, 'config.yaml'), stringify(run.settings));
      try {
        await runChild(
          options.bin,
          ['train', '--config', join(run.dir, 'config.yaml'), '--quiet'],
          join(run.dir, 'log.txt'),
        );
      } catch (error) {
        failures.push(
          `${run.method} n${run.trainSize} s${run.seed}: ${(error as Error).message} (see ${join(run.dir, 'log.txt')})`,
        );
      }
      running--;
      done++;
      bar.update(done, { running, last: `${run.method} s${run.seed}` });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, config.jobs) }, worker));
  bar.done();
  if (failures.length > 0) {
    throw new PerturbError(
      `${failures.length} run(s) failed: ${failures.join('; ')}`,
      'fix the cause and run the same command again to finish the grid',
    );
  }
  await options.onDone?.(runs);
  return runs;
}

/** Runs `perturb <args>` in a child process, its output appended to `logPath` (and shown if `echo`). */
function runChild(bin: string, args: string[], logPath: string, echo = false): Promise<void> {
  const log = openSync(logPath, 'a');
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', log, echo ? 'inherit' : log] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      closeSync(log);
      if (code === 0) resolvePromise();
      else reject(new Error(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
  });
}
