/**
 * The schema of a `perturb compare` config. Each run's settings (`base` merged with a method's)
 * and each shared model's section are checked by their command's own schema once the grid is
 * expanded, so here they are mappings; {@link compareEditorSchema} describes them fully for
 * editors.
 */
import { z } from '@perturb/core';
import { trainConfigSchema } from './config';
import { flowConfigSchema } from './flow-config';
import { pluginsSchema } from './plugins';
import { vaeganConfigSchema } from './vaegan-config';

/** Refuses a list that names an entry twice: two runs of the grid would share one folder. */
const distinct = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item).superRefine((list, ctx) => {
    const twice = list.find((value, i) => list.indexOf(value) !== i);
    if (twice !== undefined) {
      ctx.addIssue({
        code: 'custom',
        input: list,
        message: `list each ${what} once (${JSON.stringify(twice)} is there twice; two runs would share one folder)`,
      });
    }
  });

const settings = z.record(z.string(), z.unknown());

/** The grid's schema, with `section` describing the settings of runs and shared models. */
function compareSchema(sections: {
  run: z.ZodType<Record<string, unknown>>;
  flow: z.ZodType<Record<string, unknown>>;
  vaegan: z.ZodType<Record<string, unknown>>;
}) {
  return z.strictObject({
    plugins: pluginsSchema.optional(),
    base: sections.run.default({}).describe('Settings every run shares (any perturb train setting)'),
    methods: z
      .record(
        z.string(),
        sections.run.nullable().transform((value) => value ?? {}),
      )
      .refine((methods) => Object.keys(methods).length > 0, 'add at least one method')
      .superRefine((methods, ctx) => {
        for (const name of Object.keys(methods).filter((n) => !/^[\w.+-]+$/.test(n))) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            input: methods[name],
            message: 'a method name names its folder: use letters, digits, -, _, + and .',
          });
        }
      })
      .describe("Method name → settings that override base (steps/epochs replace the base's)"),
    seeds: distinct(z.int().min(0), 'seed').min(1).default([0]).describe('Seeds of every method and size'),
    trainSizes: distinct(z.int().min(0), 'training-set size')
      .min(1)
      .optional()
      .describe("Training-set sizes (0: the whole training set). Default: base's trainSize, else 0"),
    flow: sections.flow
      .optional()
      .describe('perturb train-flow settings of the flow that `flow: shared` names'),
    vaegan: sections.vaegan
      .optional()
      .describe('perturb train-vaegan settings of the VAE-GANs that `models: shared` names'),
    jobs: z.int().min(1).optional().describe('Runs at once. Default: one per core'),
    out: z.string().min(1).default('runs/compare'),
  });
}

/** Checks a compare config's shape; the runs' settings are checked once the grid is expanded. */
export const compareConfigSchema = compareSchema({ run: settings, flow: settings, vaegan: settings });

/** The same grid, every section described by its command's schema: what editors complete. */
export const compareEditorSchema = compareSchema({
  run: trainConfigSchema.omit({ plugins: true }).partial(),
  flow: flowConfigSchema.omit({ plugins: true }).partial(),
  vaegan: vaeganConfigSchema.omit({ plugins: true }).partial(),
});
