/** Learning-rate schedules, as functions of the optimizer step. */
import { PerturbError, parseOptions, z } from '@perturb/core';
import { withNameShorthand } from './shorthand';
import type { StepHyper } from './optimizers';

const gamma = z.number().positive().default(0.1).describe('factor the learning rate is multiplied by');

const scheduleObjectSchema = z.discriminatedUnion('name', [
  /** The learning rate throughout. */
  z.strictObject({ name: z.literal('constant') }),
  /** lr × gamma every `everyEpochs` epochs. */
  z.strictObject({
    name: z.literal('step'),
    everyEpochs: z.number().int().min(1).describe('epochs between two decays'),
    gamma,
  }),
  /** lr × gamma at each epoch in `milestones` (e.g. [60, 120, 160], gamma 0.2). */
  z.strictObject({
    name: z.literal('multistep'),
    milestones: z
      .array(z.number().int().min(1))
      .min(1)
      .describe('epochs (counted from 1) after which the learning rate is multiplied by gamma'),
    gamma,
  }),
  /** Cosine decay to `minLr` over the run. */
  z.strictObject({
    name: z.literal('cosine'),
    minLr: z.number().min(0).default(0).describe('the learning rate at the end of the run'),
  }),
  /**
   * One-cycle (PyTorch `OneCycleLR` defaults): cosine warm-up from lr / `divFactor` to lr over
   * the first `pctStart` of the steps, then cosine decay to lr / `divFactor` / `finalDivFactor`;
   * momentum (SGD's momentum or Adam's beta1) cycles 0.95 → 0.85 → 0.95 unless `cycleMomentum`
   * is false.
   */
  z.strictObject({
    name: z.literal('onecycle'),
    pctStart: z.number().gt(0).lt(1).default(0.3).describe('fraction of the steps spent warming up'),
    divFactor: z.number().positive().default(25).describe('the initial lr is lr / divFactor'),
    finalDivFactor: z
      .number()
      .positive()
      .default(1e4)
      .describe('the final lr is lr / divFactor / finalDivFactor'),
    cycleMomentum: z.boolean().default(true).describe('cycle momentum 0.95 → 0.85 → 0.95'),
  }),
]);

/** The schedules' names, as `schedule.name` takes them. */
export const SCHEDULE_NAMES = ['constant', 'step', 'multistep', 'cosine', 'onecycle'] as const;

/**
 * The schedule setting of a config: `{ name, ...settings }` (checked and defaulted) or just the
 * name (`'cosine'` = `{ name: 'cosine' }`; `'multistep'` alone is refused for its missing
 * milestones). Unknown names and unknown keys are refused.
 */
export const scheduleSchema = withNameShorthand(SCHEDULE_NAMES, scheduleObjectSchema);

/**
 * A learning-rate schedule and its settings: `constant`; `step` (lr × gamma every `everyEpochs`
 * epochs, gamma 0.1); `multistep` (lr × gamma at each epoch of `milestones`); `cosine` (decay to
 * `minLr`, default 0); `onecycle` (PyTorch's `OneCycleLR`: pctStart 0.3, divFactor 25,
 * finalDivFactor 1e4, cycleMomentum true). Every schedule but `'onecycle'` is multiplied by the
 * linear warm-up of {@link ScheduleOptions.warmupSteps}.
 */
export type ScheduleConfig = z.input<typeof scheduleObjectSchema>;

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
 * `PerturbError` if `options.lr` is not > 0 or `config` is not a valid schedule.
 */
export function createSchedule(
  config: ScheduleConfig | ScheduleConfig['name'],
  options: ScheduleOptions,
): Schedule {
  const { lr, totalSteps, stepsPerEpoch } = options;
  const resolved = parseOptions(scheduleSchema, config, 'the schedule options');
  const warmup = options.warmupSteps ?? 0;
  if (!(lr > 0) || !Number.isFinite(lr)) {
    throw new PerturbError(`learning rate ${lr} is invalid`, 'use a finite value > 0, e.g. 0.1');
  }
  if (!(Number.isInteger(warmup) && warmup >= 0)) {
    throw new PerturbError(`warm-up steps ${warmup} is invalid`, 'use a whole number ≥ 0');
  }
  const withWarmup =
    (base: (step: number) => number): Schedule =>
    (step) => ({ lr: base(step) * (warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1) });

  switch (resolved.name) {
    case 'constant':
      return withWarmup(() => lr);
    case 'step':
      return withWarmup((s) => lr * resolved.gamma ** Math.floor(s / stepsPerEpoch / resolved.everyEpochs));
    case 'multistep':
      return withWarmup(
        (s) =>
          lr * resolved.gamma ** resolved.milestones.filter((m) => Math.floor(s / stepsPerEpoch) >= m).length,
      );
    case 'cosine':
      return withWarmup((s) => cosineBetween(lr, resolved.minLr, s / totalSteps));
    case 'onecycle': {
      const initial = lr / resolved.divFactor;
      const final = initial / resolved.finalDivFactor;
      const peakStep = resolved.pctStart * totalSteps - 1;
      const lastStep = totalSteps - 1;
      const cycle = resolved.cycleMomentum;
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
  }
}
