// TEMPORARY: replaced by @perturb/optim's schemas (`optimizerSchema`, `scheduleSchema`) at merge.
/**
 * The option schemas of `@perturb/trainer`'s optimizers and schedules, written to match its
 * `OptimizerConfig` and `ScheduleConfig` exactly (defaults are the trainer's, so they stay
 * unset here and a config's fingerprint is what it was). A bare name is shorthand for
 * `{ name }`, for both: `optimizer: adam`, `schedule: cosine`.
 */
import { z } from '@perturb/core';
import type { OptimizerConfig, ScheduleConfig } from '@perturb/trainer';

/** `full` with its bare `names` accepted as shorthand: `adam` → `{ name: 'adam' }`. */
function withNameShorthand<const N extends readonly [string, ...string[]], S extends z.ZodType>(
  names: N,
  full: S,
) {
  return z.union([z.enum(names).transform((name) => ({ name })), full]);
}

const weightDecay = z.number().min(0).optional().describe('L2 penalty added to the gradient. Default 0.');

export const optimizerSchema = withNameShorthand(
  ['sgd', 'adam', 'adamax'],
  z.discriminatedUnion('name', [
    z.strictObject({
      name: z.literal('sgd').describe('SGD with (optionally Nesterov) momentum'),
      momentum: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe('Momentum factor (0 turns it off). Default 0.9.'),
      nesterov: z.boolean().optional().describe('Nesterov momentum. Default false.'),
      weightDecay,
    }),
    z.strictObject({
      name: z.enum(['adam', 'adamax']).describe('Adam, or Adamax (infinity-norm second moment)'),
      beta1: z.number().min(0).max(1).optional().describe('Decay of the first moment. Default 0.9.'),
      beta2: z.number().min(0).max(1).optional().describe('Decay of the second moment. Default 0.999.'),
      epsilon: z.number().positive().optional().describe('Added to the denominator. Default 1e-8.'),
      weightDecay,
    }),
  ]),
) satisfies z.ZodType<OptimizerConfig>;

const gamma = z.number().positive().optional().describe('Learning-rate factor at each drop. Default 0.1.');

export const scheduleSchema = withNameShorthand(
  // Only the schedules without required settings.
  ['constant', 'cosine', 'onecycle'],
  z.discriminatedUnion('name', [
    z.strictObject({ name: z.literal('constant').describe('The learning rate throughout') }),
    z.strictObject({
      name: z.literal('step').describe('lr × gamma every everyEpochs epochs'),
      everyEpochs: z.int().min(1),
      gamma,
    }),
    z.strictObject({
      name: z.literal('multistep').describe('lr × gamma at each epoch in milestones'),
      milestones: z.array(z.int().min(1)).min(1).describe('Epochs, e.g. [60, 120, 160]'),
      gamma,
    }),
    z.strictObject({
      name: z.literal('cosine').describe('Cosine decay to minLr over the run'),
      minLr: z.number().min(0).optional().describe('Default 0.'),
    }),
    z.strictObject({
      name: z.literal('onecycle').describe("One-cycle (PyTorch OneCycleLR's defaults)"),
      pctStart: z.number().gt(0).lt(1).optional().describe('Share of the steps warming up. Default 0.3.'),
      divFactor: z.number().positive().optional().describe('Initial lr = lr / divFactor. Default 25.'),
      finalDivFactor: z.number().positive().optional().describe('Final lr = initial / this. Default 1e4.'),
      cycleMomentum: z.boolean().optional().describe('Cycle momentum 0.95 → 0.85 → 0.95. Default true.'),
    }),
  ]),
) satisfies z.ZodType<ScheduleConfig>;
