/**
 * `perturb train-vaegan`: Stutz et al.'s class-specific VAE-GANs, one per class, trained into
 * `<out>/class-<k>.safetensors` (what `onManifoldAdversarial`'s `models` loads): one after the
 * other in this process, or several at once in child processes (`processes`), which train the
 * same models since each depends only on the seed and its class's images.
 * A rerun resumes: finished models are skipped, an interrupted one continues from its last epoch.
 * It must use the same settings (data included; only `epochs` may grow), which
 * `<out>/settings.json` records.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { activeBackend, initBackend, PerturbError, ProgressBar, type ProgressStream } from '@perturb/core';
import { runFolder, runLockHolder, withRunLock, writeFileAtomic } from '@perturb/core/node';
import { batchCount, type Dataset } from '@perturb/datasets';
import { trainClassSpecific } from '@perturb/vaegan';
import { ChildWatchdog, childEnvironment, childExit, threadsPerChild } from './child-process';
import { loadPlugins } from './plugins';
import { type RawSettings, settingChanges } from './settings';
import { loadSplit } from './run-train';
import type { TrainVaeGanConfig } from './vaegan-config';

/** What `perturb train-vaegan` writes to `<out>/result.json`. */
export interface TrainVaeGanRunResult {
  config: TrainVaeGanConfig;
  /** Class-specific models in `out` (`class-0 … class-<K−1>.safetensors`). */
  classes: number;
  /** Epochs this invocation ran per model (`'class-<k>'`, `'agnostic'`); 0 for models already finished. */
  epochsRun: Record<string, number>;
  backend: string;
  /** Wall time of this invocation (a resumed run counts only its own part). */
  seconds: number;
  finishedAt: string;
}

/**
 * Where each model's steps start in the whole job (models train in order: class 0, 1, …, then
 * the class-agnostic one), and the job's total, for one progress bar over every model.
 */
export function vaeGanStepPlan(
  dataset: Dataset,
  settings: Pick<TrainVaeGanConfig, 'batchSize' | 'epochs' | 'classAgnostic'>,
): { offsets: Record<string, number>; total: number } {
  const perClass = new Array<number>(dataset.numClasses).fill(0);
  for (const label of dataset.labels) perClass[label]++;
  const batches = perClass.map((count) => Math.ceil(count / settings.batchSize));
  const models: Array<[string, number]> = batches.map((b, k) => [`class-${k}`, b]);
  if (settings.classAgnostic) models.push(['agnostic', batchCount(dataset, settings)]);
  const offsets: Record<string, number> = {};
  let total = 0;
  for (const [name, batchesPerEpoch] of models) {
    offsets[name] = total;
    total += batchesPerEpoch * settings.epochs;
  }
  return { offsets, total };
}

/** Options of {@link runTrainVaeGan}. */
export interface TrainVaeGanOptions {
  /** Show one progress bar over every model's steps. Default true. */
  progress?: boolean;
  /**
   * Train `count` class models at once, each in a child process running `node <bin>
   * train-vaegan` (`bin`: the `perturb` script) with its share of the cores as wasm threads.
   * Default: one model after the other, in this process.
   */
  processes?: { count: number; bin: string };
}

/** Trains (or resumes) the models `config` describes and writes `<out>/result.json`. */
export async function runTrainVaeGan(
  config: TrainVaeGanConfig,
  options: TrainVaeGanOptions = {},
): Promise<TrainVaeGanRunResult> {
  const { processes } = options;
  if (processes && !(Number.isInteger(processes.count) && processes.count >= 1)) {
    throw new PerturbError(
      `train-vaegan cannot train ${processes.count} models at once`,
      'pass --jobs 1 or more',
    );
  }
  // One process per run folder: a second one would mix its files with this one's.
  return withRunLock(config.out, 'perturb train-vaegan', async () => {
    const started = Date.now();
    const progress = options.progress ?? true;
    checkSameSettings(config);
    await initBackend({ log: progress });
    const trainSet = await loadSplit(config, 'train', config.trainSize);
    const bar = new ModelsProgress(vaeGanStepPlan(trainSet, config), progress);
    const inChildren =
      processes && processes.count > 1
        ? await trainInChildren(config, trainSet.numClasses, processes, bar)
        : {};
    // Loads what the children trained (and trains whatever is left: the class-agnostic model).
    const trained = await trainClassSpecific({
      ...trainingOptions(config, trainSet),
      onStep: (p) => {
        // In this process the models train in order, so every model before this one is done.
        bar.finishBefore(p.model);
        bar.step(p.model, p, { vae: p.losses.vae });
      },
    });
    bar.close();
    for (const model of trained.models) model.dispose();
    trained.agnostic?.dispose();
    const result: TrainVaeGanRunResult = {
      config,
      classes: trained.models.length,
      epochsRun: { ...trained.epochsRun, ...inChildren },
      backend: activeBackend()?.name ?? 'unknown',
      seconds: (Date.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
    writeFileAtomic(join(config.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
    return result;
  });
}

/** `trainClassSpecific`'s options for `config`'s models of `dataset`, without progress. */
function trainingOptions(config: TrainVaeGanConfig, dataset: Dataset) {
  return {
    dataset,
    storage: runFolder(config.out),
    epochs: config.epochs,
    architecture: {
      latentSize: config.latentSize,
      widths: config.widths,
      gamma: config.gamma,
      reconstruction: config.reconstruction,
      batchNorm: config.batchNorm,
    },
    beta: config.beta,
    classAgnostic: config.classAgnostic,
    agnosticBeta: config.agnosticBeta,
    batchSize: config.batchSize,
    lr: config.lr,
    lrDecay: config.lrDecay,
    weightDecay: config.weightDecay,
    seed: config.seed,
  };
}

/** Where a model's training stands: epoch (from 1) and step within it (from 1). */
interface ModelStep {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
}

/**
 * One progress bar over every model's steps, whether the models train one after the other or
 * several at once: it counts each model's own steps, and a model as whole once it is known to
 * be finished. Steps a model had before this run (resumed from its checkpoint, or finished
 * earlier) move the bar but stay out of its rate, even when that model is first heard of after
 * the bar has started, as parallel children resuming one by one are.
 */
export class ModelsProgress {
  private readonly models: string[];
  private readonly stepsDone = new Map<string, number>();
  /** Steps done before this run, by the models heard of so far. */
  private stepsBefore = 0;
  private bar: ProgressBar | null = null;

  constructor(
    private readonly plan: { offsets: Record<string, number>; total: number },
    private readonly enabled: boolean,
    private readonly stream?: ProgressStream,
  ) {
    this.models = Object.keys(plan.offsets);
  }

  /** `model` has run `p`'s step. */
  step(model: string, p: ModelStep, shown: Record<string, number> = {}): void {
    if (!this.enabled) return;
    const count = (p.epoch - 1) * p.stepsPerEpoch + p.step;
    // The step that starts the bar was not timed by it, so it counts as done before; a model's
    // first step once the bar runs was, so only the steps before it do.
    if (!this.stepsDone.has(model)) this.stepsBefore += this.bar ? count - 1 : count;
    this.stepsDone.set(model, count);
    this.bar ??= new ProgressBar({ total: this.plan.total, label: 'train-vaegan', stream: this.stream });
    this.bar.setStart(this.stepsBefore);
    this.bar.update(this.done(), { model, epoch: `${p.epoch}/${p.epochs}`, ...shown });
  }

  /** `model` has all its steps (finished now, or before this run). */
  finish(model: string): void {
    const next = this.models[this.models.indexOf(model) + 1];
    const steps = (next === undefined ? this.plan.total : this.plan.offsets[next]) - this.plan.offsets[model];
    if (!this.stepsDone.has(model)) this.stepsBefore += steps;
    this.stepsDone.set(model, steps);
  }

  /** Every model before `model` in the plan has all its steps. */
  finishBefore(model: string): void {
    for (const earlier of this.models.slice(0, this.models.indexOf(model))) this.finish(earlier);
  }

  /** Ends the bar's line. */
  close(): void {
    this.bar?.done();
  }

  private done(): number {
    return [...this.stepsDone.values()].reduce((a, b) => a + b, 0);
  }
}

/** What a `train-vaegan` child process is given (the hidden `--worker` flag's JSON). */
interface WorkerTask {
  config: TrainVaeGanConfig;
  classes: number[];
}

/** A line a child writes to its stdout: a step of a model, or at the end what it ran. */
type WorkerMessage = { model: string; step: ModelStep } | { epochsRun: Record<string, number> };

/**
 * Trains every class's model in child processes, `count` at a time, each given the next class
 * not yet taken; returns the epochs each ran. A failed child does not stop the others: the
 * error names every failed class once all have ended, and a rerun resumes them.
 */
async function trainInChildren(
  config: TrainVaeGanConfig,
  numClasses: number,
  { count, bin }: { count: number; bin: string },
  progress: ModelsProgress,
): Promise<Record<string, number>> {
  const children = new ChildWatchdog();
  const env = childEnvironment({ threads: threadsPerChild(count) });
  const untaken = Array.from({ length: numClasses }, (_, k) => k);
  const epochsRun: Record<string, number> = {};
  const failures: string[] = [];
  const lane = async () => {
    for (let k = untaken.shift(); k !== undefined; k = untaken.shift()) {
      const task: WorkerTask = { config, classes: [k] };
      const child = children.spawn(bin, ['train-vaegan', '--worker', JSON.stringify(task)], {
        env,
        stdout: 'pipe',
        stderr: 'inherit',
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const message = JSON.parse(line) as WorkerMessage;
        if ('epochsRun' in message) Object.assign(epochsRun, message.epochsRun);
        else progress.step(message.model, message.step);
      });
      const failure = await childExit(child).then(
        () => null,
        (error: Error) => error.message,
      );
      if (failure === null) progress.finish(`class-${k}`);
      else failures.push(`class ${k} ${failure}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(count, numClasses) }, lane));
  } finally {
    children.close();
  }
  if (failures.length > 0) {
    throw new PerturbError(
      `${failures.length} VAE-GAN child process(es) failed: ${failures.join(', ')}`,
      'fix the cause shown above and run the same command again: finished models are kept and the others resume',
    );
  }
  return epochsRun;
}

/** The `--worker` flag's task, or undefined when it is not one (typed by hand, say). */
function parseWorkerTask(taskJson: string): WorkerTask | undefined {
  try {
    const task = JSON.parse(taskJson) as Partial<WorkerTask> | null;
    return typeof task?.config?.out === 'string' && Array.isArray(task.classes)
      ? (task as WorkerTask)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A child process of {@link runTrainVaeGan} (`perturb train-vaegan --worker <task>`): trains
 * the task's classes in the folder its parent holds locked, reporting each step on stdout.
 */
export async function runVaeGanWorker(taskJson: string): Promise<void> {
  const task = parseWorkerTask(taskJson);
  if (!task || runLockHolder(task.config.out)?.pid !== process.ppid) {
    throw new PerturbError(
      '--worker is only for the child processes of `perturb train-vaegan --jobs`',
      'run `perturb train-vaegan --jobs <n>` instead',
    );
  }
  const { config, classes } = task;
  const say = (message: WorkerMessage) => process.stdout.write(JSON.stringify(message) + '\n');
  await loadPlugins(config.plugins ?? []);
  await initBackend({ log: false });
  const trainSet = await loadSplit(config, 'train', config.trainSize);
  const trained = await trainClassSpecific({
    ...trainingOptions(config, trainSet),
    classes,
    classAgnostic: false,
    onStep: ({ model, epoch, epochs, step, stepsPerEpoch }) =>
      say({ model, step: { epoch, epochs, step, stepsPerEpoch } }),
  });
  for (const model of trained.models) model.dispose();
  say({ epochsRun: trained.epochsRun });
}

/**
 * Refuses an output folder whose models were trained with other settings (the checkpoints'
 * own fingerprints do not cover the data), then records this run's; `epochs` may grow.
 */
function checkSameSettings(config: TrainVaeGanConfig): void {
  const path = join(config.out, 'settings.json');
  const { out: _out, epochs: _epochs, ...settings } = config;
  if (existsSync(path)) {
    const changes = settingChanges(JSON.parse(readFileSync(path, 'utf8')) as RawSettings, settings);
    if (changes.length > 0) {
      throw new PerturbError(
        `${config.out} holds VAE-GANs trained with other settings than these (${changes.join(', ')})`,
        'use the settings they were trained with (only epochs may change), another output folder, or delete the folder to train again',
      );
    }
  }
  writeFileAtomic(path, JSON.stringify(settings, null, 2) + '\n');
}
