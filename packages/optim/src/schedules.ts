/** Learning-rate schedules, as functions of the optimizer step. */
import { PerturbError } from '@perturb/core';
import type { StepHyper } from './optimizers';

/**
 * A learning-rate schedule and its settings. Every schedule but `'onecycle'` is multiplied by
 * the linear warm-up of {@link ScheduleOptions.warmupSteps}.
 */
export type ScheduleConfig =
  /** The learning rate throughout. */
  | { name: 'constant' }
  /** lr × gamma every `everyEpochs` epochs; `gamma` defaults to 0.1. */
  | { name: 'step'; everyEpochs: number; gamma?: number }
  /**
   * lr × gamma at each epoch in `milestones` (e.g. [60, 120, 160], gamma 0.2); `gamma`
   * defaults to 0.1.
   */
  | { name: 'multistep'; milestones: number[]; gamma?: number }
  /** Cosine decay to `minLr` (default 0) over the run. */
  | { name: 'cosine'; minLr?: number }
  /**
   * One-cycle (PyTorch `OneCycleLR` defaults): cosine warm-up from lr / `divFactor` (default 25)
   * to lr over the first `pctStart` (default 0.3) of the steps, then cosine decay to
   * lr / `divFactor` / `finalDivFactor` (default 1e4); momentum (SGD's momentum or Adam's beta1)
   * cycles 0.95 → 0.85 → 0.95 unless `cycleMomentum` is false (default true).
   */
  | {
      name: 'onecycle';
      pctStart?: number;
      divFactor?: number;
      finalDivFactor?: number;
      cycleMomentum?: boolean;
    };

/** The run's numbers that {@link createSchedule} scales a {@link ScheduleConfig} to. */
export interface ScheduleOptions {
  /** The peak (or base) learning rate. */
  lr: number;
  /** Optimizer steps in the whole run; cosine and one-cycle span exactly these. */
  totalSteps: number;
  /** Optimizer steps per epoch, to turn the step and multistep schedules' epochs into steps. */
  stepsPerEpoch: number;
  /** Linear warm-up from 0 over this many steps (not with one-cycle, which warms up itself). Default 0. */
  warmupSteps?: number;
}

/** A schedule: the hyperparameters of the optimizer step numbered `step` (counted from 0). */
export type Schedule = (step: number) => StepHyper;

function cosineBetween(from: number, to: number, fraction: number): number {
  return to + ((from - to) / 2) * (1 + Math.cos(Math.PI * Math.min(Math.max(fraction, 0), 1)));
}

/**
 * Builds the schedule `config` describes for a run of `options.totalSteps` steps. Throws a
 * `PerturbError` if `options.lr` is not > 0 or the schedule's name is unknown.
 */
export function createSchedule(config: ScheduleConfig, options: ScheduleOptions): Schedule {
  const { lr, totalSteps, stepsPerEpoch } = options;
  const warmup = options.warmupSteps ?? 0;
  if (!(lr > 0)) throw new PerturbError(`learning rate ${lr} is invalid`, 'use a value > 0, e.g. 0.1');
  const withWarmup =
    (base: (step: number) => number): Schedule =>
    (step) => ({ lr: base(step) * (warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1) });

  switch (config.name) {
    case 'constant':
      return withWarmup(() => lr);
    case 'step':
      return withWarmup(
        (s) => lr * (config.gamma ?? 0.1) ** Math.floor(s / stepsPerEpoch / config.everyEpochs),
      );
    case 'multistep':
      return withWarmup(
        (s) =>
          lr *
          (config.gamma ?? 0.1) ** config.milestones.filter((m) => Math.floor(s / stepsPerEpoch) >= m).length,
      );
    case 'cosine':
      return withWarmup((s) => cosineBetween(lr, config.minLr ?? 0, s / totalSteps));
    case 'onecycle': {
      const initial = lr / (config.divFactor ?? 25);
      const final = initial / (config.finalDivFactor ?? 1e4);
      const peakStep = (config.pctStart ?? 0.3) * totalSteps - 1;
      const lastStep = totalSteps - 1;
      const cycle = config.cycleMomentum ?? true;
      return (step) => {
        const rising = step <= peakStep;
        const fraction = rising ? step / peakStep : (step - peakStep) / (lastStep - peakStep);
        return {
          lr: rising ? cosineBetween(initial, lr, fraction) : cosineBetween(lr, final, fraction),
          ...(cycle
            ? { momentum: rising ? cosineBetween(0.95, 0.85, fraction) : cosineBetween(0.85, 0.95, fraction) }
            : {}),
        };
      };
    }
    default:
      throw new PerturbError(
        `unknown schedule "${(config as { name: string }).name}"`,
        'use constant, step, multistep, cosine or onecycle',
      );
  }
}
