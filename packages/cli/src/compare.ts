/**
 * `perturb compare`: a grid of methods × training-set sizes × seeds, each a `perturb train` run
 * in its own process (one per core by default). Finished runs are skipped and interrupted ones
 * resume from their checkpoint, so killing and restarting the command finishes the grid without
 * redoing work. Generative models that methods share (`flow: shared`, `models: shared`) are
 * trained once, first, and skipped once finished; a lock keeps two processes from training one
 * at once. `runIndex` runs one run of the grid, as a task of a Slurm array does (see slurm.ts),
 * and `devices` gives each child one GPU. Compare plans the grid (which runs, which shared
 * models, what is finished) and writes its report; a {@link GridExecutor} trains what the plan
 * lists: the local pool of child processes ({@link localExecutor}) or a queue's workers (queue.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import { PerturbError, ProgressBar, parseOptions } from '@perturb/core';
import { type RunLock, lockRunFolder, makeFolder, writeFileAtomic } from '@perturb/core/node';
import { ChildWatchdog, runChild, threadsPerChild } from './child-process';
import { DevicePool } from './devices';
import { compareConfigSchema } from './compare-config';
import { mergeTrainSettings, resolveConfig } from './config';
import { readConfigFile } from './config-file';
import { resolveFlowConfig } from './flow-config';
import { type RawSettings, settingChanges } from './settings';
import { resolveVaeGanTrainingConfig } from './vaegan-config';

/** A `perturb compare` grid: methods × training-set sizes × seeds, and the models they share. */
export interface CompareConfig {
  /** Plugin modules (absolute paths) every run loads first. Default none. */
  plugins?: string[];
  /** Settings every run shares (any `perturb train` setting). */
  base: Record<string, unknown>;
  /** Method name → settings that override `base` (typically `augmenters`; `steps` replaces `base.epochs`). */
  methods: Record<string, Record<string, unknown>>;
  /** Default [0]. */
  seeds: number[];
  /** Training-set sizes; default: `base.trainSize`. */
  trainSizes: number[];
  /** `perturb train-flow` settings of the flow that `flow: shared` refers to. Default none. */
  flow?: Record<string, unknown>;
  /** `perturb train-vaegan` settings of the VAE-GANs that `models: shared` refers to. Default none. */
  vaegan?: Record<string, unknown>;
  /** Runs at once. Default: one per core. */
  jobs: number;
  /** Output folder. */
  out: string;
}

/** One run of the grid. */
export interface GridRun {
  method: string;
  trainSize: number;
  seed: number;
  dir: string;
  /** Its `perturb train` settings, shared models replaced by their paths. */
  settings: Record<string, unknown>;
}

/** The value augmenter options use for a model the grid trains once (`flow: shared`, `models: shared`). */
export const SHARED = 'shared';

/** A generative model the grid trains once, before any run, for every method that names it. */
export interface SharedModel {
  /** Its section in the compare config, which is also its folder under `out`. */
  section: 'flow' | 'vaegan';
  /** The augmenter option whose value `shared` refers to it. */
  option: string;
  /** What it is, for messages. */
  description: string;
  /** The `perturb` command that trains it. */
  command: string;
  /** Whether that command trains parts of it at once in processes of its own (`--jobs`). */
  splits: boolean;
  /** What the option is set to, given the model's folder. */
  path(dir: string): string;
  /** Validates the section's settings and returns the image size they train on. */
  resolve(settings: RawSettings, source: string): { padTo: number };
}

const SHARED_MODELS: SharedModel[] = [
  {
    section: 'flow',
    option: 'flow',
    description: 'the shared flow',
    command: 'train-flow',
    splits: false,
    path: (dir) => join(dir, 'checkpoint.safetensors'),
    resolve: (settings, source) => resolveFlowConfig([settings], source),
  },
  {
    section: 'vaegan',
    option: 'models',
    description: 'the shared class-specific VAE-GANs',
    command: 'train-vaegan',
    splits: true,
    path: (dir) => dir,
    resolve: (settings, source) => resolveVaeGanTrainingConfig([settings], source),
  },
];

/**
 * Reads and validates a compare config file: its shape, every run's settings and every shared
 * model's. Plugins it names must have been loaded (see `readConfigWithPlugins`); `settings`
 * are the file's settings when already read (with `plugins` resolved to absolute paths).
 */
export function readCompareConfig(
  path: string,
  overrides: { out?: string; jobs?: number } = {},
  settings: RawSettings = readConfigFile(path),
): CompareConfig {
  const parsed = parseOptions(compareConfigSchema, settings, path);
  for (const [section, values] of [['base', parsed.base], ...Object.entries(parsed.methods)] as const) {
    if ('plugins' in values) {
      throw new PerturbError(
        `"plugins" is set in ${section === 'base' ? 'base' : `method ${section}`} of ${path}`,
        'name plugins once, at the top of the compare config: every run loads them',
      );
    }
  }
  const config: CompareConfig = {
    ...parsed,
    trainSizes: parsed.trainSizes ?? [typeof parsed.base.trainSize === 'number' ? parsed.base.trainSize : 0],
    jobs: overrides.jobs ?? parsed.jobs ?? availableParallelism(),
    out: overrides.out ?? parsed.out,
  };
  // Validate everything now, so a typo fails before hours of training.
  for (const run of gridRuns(config, path)) resolveConfig([run.settings], `${path} (method ${run.method})`);
  checkSharedModels(config, path);
  return config;
}

/**
 * Every run of the grid, in the order they are started: sizes, then seeds, then methods.
 * `source` names the config in errors.
 */
export function gridRuns(config: CompareConfig, source = 'the compare config'): GridRun[] {
  const runs: GridRun[] = [];
  for (const trainSize of config.trainSizes) {
    for (const seed of config.seeds) {
      for (const [method, overrides] of Object.entries(config.methods)) {
        const dir = join(resolve(config.out), 'runs', method, `n${trainSize}-s${seed}`);
        const merged = mergeTrainSettings(
          [config.base, overrides, { ...(trainSize > 0 ? { trainSize } : {}), seed, out: dir }],
          `${source} (method ${method})`,
        );
        const settings = substituteSharedModels(merged, config.out);
        runs.push({ method, trainSize, seed, dir, settings: withPlugins(settings, config.plugins) });
      }
    }
  }
  return runs;
}

/** `settings` that load `plugins` first (the grid's, as absolute paths), if there are any. */
function withPlugins(settings: RawSettings, plugins: readonly string[] | undefined): RawSettings {
  return plugins && plugins.length > 0 ? { plugins: [...plugins], ...settings } : settings;
}

/** Whether `settings` (any nesting) set `model`'s option to `shared`. */
function usesShared(settings: unknown, model: SharedModel): boolean {
  return JSON.stringify(settings).includes(`${JSON.stringify(model.option)}:${JSON.stringify(SHARED)}`);
}

/** The shared models some method (or the base) refers to; only `methods`' when given. */
export function sharedModelsUsed(config: CompareConfig, methods?: readonly string[]): SharedModel[] {
  const chosen = methods
    ? Object.fromEntries(Object.entries(config.methods).filter(([name]) => methods.includes(name)))
    : config.methods;
  return SHARED_MODELS.filter((model) => usesShared([config.base, chosen], model));
}

/** Whether the grid trains shared models (a flow, VAE-GANs) before its runs. */
export function hasSharedModels(config: CompareConfig): boolean {
  return sharedModelsUsed(config).length > 0;
}

function substituteSharedModels(settings: Record<string, unknown>, out: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(settings), (key, value) => {
    const model = SHARED_MODELS.find((m) => m.option === key);
    return model && value === SHARED ? model.path(join(resolve(out), model.section)) : value;
  });
}

/**
 * Every shared model a method names has its section, the section's settings are valid, and it
 * trains on images of the size the methods using it train on.
 */
function checkSharedModels(config: CompareConfig, source: string): void {
  for (const model of sharedModelsUsed(config)) {
    const settings = config[model.section];
    if (!settings) {
      throw new PerturbError(
        `a method uses \`${model.option}: ${SHARED}\` but ${source} has no \`${model.section}:\` section`,
        `add the \`perturb ${model.command}\` settings of ${model.description} under \`${model.section}:\``,
      );
    }
    const { padTo } = model.resolve(settings, `${source} (${model.section})`);
    for (const [method, overrides] of Object.entries(config.methods)) {
      const merged = mergeTrainSettings([config.base, overrides]);
      if (!usesShared(merged, model)) continue;
      const runPadTo = resolveConfig([merged]).padTo;
      if (runPadTo !== padTo) {
        throw new PerturbError(
          `method ${method} trains on ${runPadTo}×${runPadTo} images but ${model.description} on ${padTo}×${padTo} (${source})`,
          `set the same padTo in \`${model.section}:\` and in the method's settings`,
        );
      }
    }
  }
}

/** The trainings of the shared models that `methods`' runs need (every method's when not given). */
export function sharedTrainings(config: CompareConfig, methods?: readonly string[]): SharedTraining[] {
  return sharedModelsUsed(config, methods).map((model) => ({
    section: model.section,
    settings: withPlugins(config[model.section]!, config.plugins),
  }));
}

/**
 * Trains each shared model of `trainings` that has not finished, in a child process of
 * `children`, one process at a time per model (see {@link withSharedModelLock}); a model made
 * of parts (the VAE-GANs, one per class) trains `jobs` of them at once.
 */
export async function trainSharedModels(
  trainings: readonly SharedTraining[],
  out: string,
  bin: string,
  children: ChildWatchdog,
  { device, jobs = 1 }: { device?: string; jobs?: number } = {},
): Promise<void> {
  for (const { section, settings } of trainings) {
    const model = SHARED_MODELS.find((m) => m.section === section)!;
    await withSharedModelLock(model, out, () =>
      trainSharedModel(model, settings, out, bin, children, { device, jobs }),
    );
  }
}

/**
 * Trains `run` by `perturb train` in a child process of `children` (resuming it from its
 * checkpoint), its settings written to `<run>/config.yaml` and its output to `<run>/log.txt`.
 */
export async function trainRun(
  run: GridRun,
  {
    bin,
    children,
    threads,
    device,
  }: { bin: string; children: ChildWatchdog; threads: number; device?: string },
): Promise<void> {
  writeFileAtomic(join(run.dir, 'config.yaml'), stringify(run.settings));
  await runChild(children, bin, ['train', '--config', join(run.dir, 'config.yaml'), '--quiet'], runLog(run), {
    threads,
    device,
  });
}

/** Where a run's child process writes its output. */
export const runLog = (run: GridRun): string => join(run.dir, 'log.txt');

/** A run as messages name it: `<method> n<size> s<seed>`. */
export const describeRun = (run: GridRun): string => `${run.method} n${run.trainSize} s${run.seed}`;

/**
 * Trains `model` in `<out>/<section>` by `perturb <command>` in a child process unless it has
 * finished; refuses a folder that was started with other settings.
 */
async function trainSharedModel(
  model: SharedModel,
  settings: RawSettings,
  out: string,
  bin: string,
  children: ChildWatchdog,
  { device, jobs }: { device?: string; jobs: number },
): Promise<void> {
  const dir = join(out, model.section);
  const configPath = join(dir, 'config.yaml');
  // The folder is the grid's own, so only the other settings tell two trainings apart (and a
  // grid folder that moved keeps its models).
  const changes = existsSync(configPath)
    ? settingChanges(
        withoutLocations(parseYaml(readFileSync(configPath, 'utf8'))),
        withoutLocations(settings),
      )
    : [];
  if (changes.length > 0) {
    throw new PerturbError(
      `${dir} holds ${model.description} trained with other settings than the \`${model.section}:\` section (${changes.join(', ')})`,
      `restore the section's settings, or delete ${dir} to train it again`,
    );
  }
  if (existsSync(join(dir, 'result.json'))) return;
  process.stderr.write(`compare: training ${model.description} in ${dir}\n`);
  writeFileAtomic(configPath, stringify({ ...settings, out: dir }));
  // Alone on the machine: the child's default, one wasm thread per core (split among its own
  // processes when it trains parts at once).
  const parallel = model.splits && jobs > 1 ? ['--jobs', String(jobs)] : [];
  await runChild(children, bin, [model.command, '--config', configPath, ...parallel], join(dir, 'log.txt'), {
    echo: true,
    device,
  });
}

/** How often a process waiting for another to train a shared model looks again. */
const SHARED_MODEL_POLL_MS = 2000;

/**
 * Runs `work` holding the lock of `model`'s training, waiting while another process (another
 * `--run-index` task, another compare) holds it, so two never train one shared model at once.
 * The lock has its own folder, `<out>/locks/<section>`, because the training child locks the
 * model's folder itself. A holder killed on this host is taken over; one on another host that
 * died is waited for until its lock file is deleted (see the message).
 */
async function withSharedModelLock(
  model: SharedModel,
  out: string,
  work: () => Promise<void>,
): Promise<void> {
  const lock = await waitForLock(join(out, 'locks', model.section), `training ${model.description}`);
  try {
    await work();
  } finally {
    lock.release();
  }
}

/** Takes `dir`'s lock for `what`, waiting as long as a live process holds it. */
async function waitForLock(dir: string, what: string): Promise<RunLock> {
  for (let told = false; ; told = true) {
    try {
      return lockRunFolder(dir, `perturb compare: ${what}`);
    } catch (error) {
      if (!(error instanceof PerturbError) || !error.problem.includes(' is in use by process ')) throw error;
      if (!told) process.stderr.write(`compare: waiting before ${what}: ${error.message}\n`);
      await new Promise((wake) => setTimeout(wake, SHARED_MODEL_POLL_MS));
    }
  }
}

/**
 * Settings without their output folder, which the grid chooses, and their plugin files, which
 * may move with the grid (as in a run's fingerprint).
 */
function withoutLocations({ out: _out, plugins: _plugins, ...rest }: RawSettings): RawSettings {
  return rest;
}

/** `settings` with every path under `root` written relative to it, so a moved grid compares equal. */
function relativeTo(settings: RawSettings, root: string): unknown {
  return JSON.parse(JSON.stringify(settings), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(`${root}${sep}`)
      ? `<grid>${value.slice(root.length)}`
      : value,
  );
}

/**
 * Finished runs whose recorded settings (their `config.yaml`) differ from what the grid gives them
 * now: reusing their results would report settings they were not trained with.
 */
function staleRuns(runs: GridRun[], out: string): GridRun[] {
  return runs.filter((run) => {
    const path = join(run.dir, 'config.yaml');
    if (!existsSync(join(run.dir, 'result.json')) || !existsSync(path)) return false;
    const recorded = parseYaml(readFileSync(path, 'utf8')) as RawSettings;
    // A run folder is <grid>/runs/<method>/n<size>-s<seed>: its recorded out names the grid it ran in.
    const recordedRoot = typeof recorded.out === 'string' ? resolve(recorded.out, '../../..') : out;
    return !isDeepStrictEqual(
      relativeTo(withoutLocations(recorded), recordedRoot),
      relativeTo(withoutLocations(run.settings as RawSettings), out),
    );
  });
}

/** How {@link runCompare} runs the grid's child processes. */
export interface CompareOptions {
  /** The `perturb` executable's script, run with this Node. */
  bin: string;
  /**
   * Run only these methods' runs now (e.g. the cheap ones first); the others wait for a later
   * call. Default: every method.
   */
  methods?: readonly string[];
  /**
   * Run only these seeds' runs now, e.g. to share one grid between processes or machines that
   * each take other seeds (runs of the same method and seed must not run twice at once).
   * Default: every seed.
   */
  seeds?: readonly number[];
  /**
   * Run only the runs of these training-set sizes now, e.g. a grid's main column first and
   * another size in a later sitting. Default: every size.
   */
  sizes?: readonly number[];
  /**
   * Run only the grid's run with this index (0-based, in {@link gridRuns}' order), after the
   * shared models it needs (run 0: every shared model of the grid), e.g. as one task of a Slurm
   * array; it gets every core. Default: every run.
   */
  runIndex?: number;
  /**
   * GPUs (see `parseDevices`): each child sees one of them as its `CUDA_VISIBLE_DEVICES`, the
   * least-used first (runs at once stay `config.jobs`: the CLI sets them to the number of
   * devices). Default: children inherit the environment's.
   */
  devices?: readonly string[];
  /**
   * Called once the grid is done (e.g. to write the report), with the runs that failed for good
   * (only an executor whose failures are final reports them). Default: nothing called.
   */
  onDone?: (runs: GridRun[], failures: RunFailure[]) => Promise<void> | void;
  /** What trains the runs. Default: the local pool, `config.jobs` child processes at once. */
  executor?: GridExecutor;
}

/** What a grid's run needs trained, and what an executor is handed: the plan compare made. */
export interface GridPlan {
  config: CompareConfig;
  /** The grid's folder, absolute. */
  out: string;
  /** The runs chosen (all of the grid's, or those of `--methods`, `--seeds`, `--run-index`). */
  runs: GridRun[];
  /** Those of them not finished yet (no `result.json`), in the grid's order. */
  pending: GridRun[];
  /** The shared models to train before any run (each skipped if it has finished). */
  shared: SharedTraining[];
  /** The run index of a one-run task (`--run-index`), if this is one. */
  runIndex?: number;
}

/** A shared model's training: its section of the compare config and the settings it trains with. */
export interface SharedTraining {
  section: SharedModel['section'];
  /** The section's settings, the grid's plugins added. */
  settings: RawSettings;
}

/** A run that failed and why (the error, and where its log is). */
export interface RunFailure {
  run: GridRun;
  error: string;
}

/** Trains a plan's shared models and pending runs: the one thing the local pool and a queue do differently. */
export interface GridExecutor {
  /**
   * Trains `plan.pending`, each after the shared models it needs (`plan.shared` are all of
   * them, which the local pool trains first); resolves with the runs that failed.
   */
  execute(plan: GridPlan): Promise<RunFailure[]>;
  /**
   * Whether a failure is final (a queue retried it as often as it may): the report is then
   * written with the failed runs named. Otherwise (the local pool) running compare again retries
   * them, and the report waits for the whole grid.
   */
  readonly failuresAreFinal: boolean;
}

/** Refuses a `--methods`/`--seeds` choice naming something the grid does not have; `extraFix` ends the fix. */
function refuseOutsideGrid<T>(
  what: string,
  chosen: readonly T[] | undefined,
  grid: readonly T[],
  show: (item: T) => string,
  extraFix = '',
): void {
  const strangers = chosen?.filter((item) => !grid.includes(item)) ?? [];
  if (strangers.length > 0) {
    throw new PerturbError(
      `the grid has no ${what} ${strangers.map(show).join(', ')}`,
      `choose from ${grid.join(', ')}${extraFix}`,
    );
  }
}

/** Writes the grid's settings to `<out>/compare.yaml`, the record of what its folder holds. */
export function recordGrid(config: CompareConfig): void {
  writeFileAtomic(join(resolve(config.out), 'compare.yaml'), stringify(config));
}

/** Refuses a run index outside the grid, or given with a choice of methods or seeds. */
function checkRunIndex(
  config: CompareConfig,
  { runIndex: index, methods, seeds }: Pick<CompareOptions, 'runIndex' | 'methods' | 'seeds'>,
): void {
  if (index === undefined) return;
  if (methods || seeds) {
    throw new PerturbError(
      `a run index (${index}) is given with a choice of ${methods ? 'methods' : 'seeds'}`,
      'give one of the two: the index alone names the run',
    );
  }
  const count = gridRuns(config).length;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new PerturbError(
      `run index ${index} is outside the grid, whose ${count} run(s) are numbered 0 to ${count - 1}`,
      `choose an index from 0 to ${count - 1} (the order of \`perturb compare --emit slurm\`'s array)`,
    );
  }
}

/** Runs the grid (skipping finished runs) and returns its runs. */
export async function runCompare(config: CompareConfig, options: CompareOptions): Promise<GridRun[]> {
  const plan = planGrid(config, options);
  const executor = options.executor ?? localExecutor(options);
  const failures = await executor.execute(plan);
  if (failures.length > 0 && !executor.failuresAreFinal) throw failedRuns(failures);
  await options.onDone?.(plan.runs, failures);
  if (failures.length > 0) throw failedRuns(failures);
  return plan.runs;
}

/**
 * Checks the grid and the choice of runs, records the grid in its folder and lists what is to
 * train: the shared models, then the runs not finished yet. Refuses finished runs whose
 * settings changed.
 */
export function planGrid(config: CompareConfig, options: Omit<CompareOptions, 'bin'>): GridPlan {
  // Configs built in code (the demo's) were not read by readCompareConfig, so check here too.
  parseOptions(compareConfigSchema, config, 'the compare config');
  checkSharedModels(config, 'the compare config');
  refuseOutsideGrid('method', options.methods, Object.keys(config.methods), (name) => `"${name}"`);
  refuseOutsideGrid(
    'seed',
    options.seeds,
    config.seeds,
    String,
    ", or add the seed to the config's `seeds:`",
  );
  refuseOutsideGrid(
    'training-set size',
    options.sizes,
    config.trainSizes,
    String,
    ", or add the size to the config's `trainSizes:`",
  );
  checkRunIndex(config, options);
  const out = resolve(config.out);
  // One task of many (maybe on other hosts) leaves the grid's record to `--emit`, which wrote it:
  // writers on several hosts could remove each other's temp files.
  if (options.runIndex === undefined) recordGrid(config);
  else makeFolder(out);
  const runs =
    options.runIndex === undefined
      ? gridRuns(config).filter(
          (run) =>
            (!options.methods || options.methods.includes(run.method)) &&
            (!options.seeds || options.seeds.includes(run.seed)) &&
            (!options.sizes || options.sizes.includes(run.trainSize)),
        )
      : [gridRuns(config)[options.runIndex]];
  const stale = staleRuns(runs, out);
  if (stale.length > 0) {
    const names = stale.map(describeRun);
    throw new PerturbError(
      `${stale.length} finished run(s) in ${out} were trained with other settings than the config gives them now (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`,
      `restore the settings, or delete those runs' folders (or choose another out) to train them again`,
    );
  }
  // Run 0 trains every shared model of the grid, so that a Slurm array whose task 0 goes first
  // (see slurm.ts) has them all before its other tasks start; other runs train what they need.
  const methods =
    options.runIndex === undefined || options.runIndex === 0
      ? options.methods
      : runs.map((run) => run.method);
  return {
    config,
    out,
    runs,
    pending: runs.filter((run) => !existsSync(join(run.dir, 'result.json'))),
    shared: sharedTrainings(config, methods),
    runIndex: options.runIndex,
  };
}

/** The error of a grid whose runs failed, each named with its error. */
function failedRuns(failures: readonly RunFailure[]): PerturbError {
  return new PerturbError(
    `${failures.length} run(s) failed: ${failures.map(({ run, error }) => `${describeRun(run)}: ${error}`).join('; ')}`,
    'fix the cause and run the same command again to finish the grid',
  );
}

/**
 * The local pool: shared models first, then `plan.config.jobs` runs at once (one for a
 * `--run-index` task), each a child process with its share of the cores as wasm threads and, with
 * `devices`, the least-used GPU. A failed run is retried by running compare again.
 */
export function localExecutor({ bin, devices }: { bin: string; devices?: readonly string[] }): GridExecutor {
  return {
    failuresAreFinal: false,
    async execute(plan) {
      const children = new ChildWatchdog();
      try {
        await trainSharedModels(plan.shared, plan.out, bin, children, {
          device: devices?.[0],
          jobs: plan.config.jobs,
        });
        return await runPool(plan, { bin, children, devices });
      } finally {
        children.close();
      }
    },
  };
}

/** Trains the plan's pending runs, `jobs` at once, showing the grid's progress. */
async function runPool(
  { runs, pending, config, runIndex }: GridPlan,
  { bin, children, devices }: { bin: string; children: ChildWatchdog; devices?: readonly string[] },
): Promise<RunFailure[]> {
  const bar = new ProgressBar({ total: runs.length, label: 'compare', start: runs.length - pending.length });
  let done = runs.length - pending.length;
  bar.update(done, { running: 0 });
  const jobs = runIndex === undefined ? Math.max(1, config.jobs) : 1;
  const threads = threadsPerChild(jobs);
  const pool = devices && new DevicePool(devices);
  let next = 0;
  let running = 0;
  const failures: RunFailure[] = [];
  const worker = async () => {
    while (next < pending.length) {
      const run = pending[next++];
      running++;
      const device = pool?.acquire();
      try {
        await trainRun(run, { bin, children, threads, device });
      } catch (error) {
        failures.push({ run, error: `${(error as Error).message} (see ${runLog(run)})` });
      } finally {
        if (device !== undefined) pool?.release(device);
      }
      running--;
      done++;
      bar.update(done, { running, last: `${run.method} s${run.seed}` });
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  bar.done();
  return failures;
}
