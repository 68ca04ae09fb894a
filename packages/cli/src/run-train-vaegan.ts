/**
 * `perturb train-vaegan`: Stutz et al.'s class-specific VAE-GANs, one per class, trained one after
 * the other into `<out>/class-<k>.safetensors` (what `onManifoldAdversarial`'s `models` loads).
 * A rerun resumes: finished models are skipped, an interrupted one continues from its last epoch.
 * It must use the same settings (data included; only `epochs` may grow), which
 * `<out>/settings.json` records.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { activeBackend, initBackend, PerturbError, ProgressBar } from '@perturb/core';
import { runFolder, withRunLock, writeFileAtomic } from '@perturb/core/node';
import { batchCount, type Dataset } from '@perturb/datasets';
import { trainClassSpecific } from '@perturb/vaegan';
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

/** Trains (or resumes) the models `config` describes and writes `<out>/result.json`. */
export async function runTrainVaeGan(
  config: TrainVaeGanConfig,
  options: { progress?: boolean } = {},
): Promise<TrainVaeGanRunResult> {
  // One process per run folder: a second one would mix its files with this one's.
  return withRunLock(config.out, 'perturb train-vaegan', async () => {
    const started = Date.now();
    const progress = options.progress ?? true;
    checkSameSettings(config);
    await initBackend({ log: progress });
    const trainSet = await loadSplit(config, 'train', config.trainSize);
    const plan = vaeGanStepPlan(trainSet, config);
    let bar: ProgressBar | null = null;
    const trained = await trainClassSpecific({
      dataset: trainSet,
      storage: runFolder(config.out),
      epochs: config.epochs,
      architecture: {
        latentSize: config.latentSize,
        widths: config.widths,
        gamma: config.gamma,
        reconstruction: config.reconstruction,
      },
      beta: config.beta,
      classAgnostic: config.classAgnostic,
      agnosticBeta: config.agnosticBeta,
      batchSize: config.batchSize,
      lr: config.lr,
      lrDecay: config.lrDecay,
      weightDecay: config.weightDecay,
      seed: config.seed,
      onStep: (p) => {
        if (!progress) return;
        const done = plan.offsets[p.model] + (p.epoch - 1) * p.stepsPerEpoch + p.step;
        // Created at the first step actually run, so a resumed job's rate and ETA count only new work.
        bar ??= new ProgressBar({ total: plan.total, label: 'train-vaegan', start: done - 1 });
        bar.update(done, { model: p.model, epoch: `${p.epoch}/${p.epochs}`, vae: p.losses.vae });
      },
    });
    (bar as ProgressBar | null)?.done();
    for (const model of trained.models) model.dispose();
    trained.agnostic?.dispose();
    const result: TrainVaeGanRunResult = {
      config,
      classes: trained.models.length,
      epochsRun: trained.epochsRun,
      backend: activeBackend()?.name ?? 'unknown',
      seconds: (Date.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
    writeFileAtomic(join(config.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
    return result;
  });
}

/**
 * Refuses an output folder whose models were trained with other settings (the checkpoints'
 * own fingerprints do not cover the data), then records this run's; `epochs` may grow.
 */
function checkSameSettings(config: TrainVaeGanConfig): void {
  const path = join(config.out, 'settings.json');
  const { out: _out, epochs: _epochs, ...settings } = config;
  if (existsSync(path) && !isDeepStrictEqual(JSON.parse(readFileSync(path, 'utf8')), settings)) {
    throw new PerturbError(
      `${config.out} holds VAE-GANs trained with other settings than these`,
      'use the settings they were trained with (only epochs may change), another output folder, or delete the folder to train again',
    );
  }
  mkdirSync(config.out, { recursive: true });
  writeFileAtomic(path, JSON.stringify(settings, null, 2) + '\n');
}
