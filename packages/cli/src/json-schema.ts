/**
 * JSON Schemas of the YAML configs, for editors: a config that starts with
 * `# yaml-language-server: $schema=<file>` gets completion, defaults and checks as it is typed.
 * They are generated from the schemas the CLI checks configs with, augmenter entries described
 * by the options of every augmenter registered when they are generated.
 */
import { PerturbError, augmenters, closest, z } from '@perturb/core';
import { compareEditorSchema } from './compare-config';
import { augmenterEntrySchema, trainConfigSchema } from './config';
import { flowConfigSchema } from './flow-config';
import { vaeganConfigSchema } from './vaegan-config';

/** The config schema of each command that reads one. */
export const CONFIG_SCHEMAS: Record<string, z.ZodType> = {
  train: trainConfigSchema,
  compare: compareEditorSchema,
  'train-flow': flowConfigSchema,
  'train-vaegan': vaeganConfigSchema,
};

/** The JSON Schema of `command`'s config (`perturb schema <command>`). */
export function configJsonSchema(command: string): Record<string, unknown> {
  const schema = CONFIG_SCHEMAS[command];
  if (!schema) {
    const names = Object.keys(CONFIG_SCHEMAS);
    const suggestion = closest(command, names);
    throw new PerturbError(
      `no command "${command}" reads a config`,
      `${suggestion ? `did you mean "${suggestion}"? ` : ''}use one of ${names.join(', ')}`,
    );
  }
  const entry = augmenterEntryJsonSchema();
  return z.toJSONSchema(schema, {
    io: 'input',
    // Augmenter entries are checked in code (their forms and the registry's schemas); editors
    // get the same forms spelled out.
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema === augmenterEntrySchema) {
        for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
        Object.assign(ctx.jsonSchema, entry);
      }
    },
  }) as Record<string, unknown>;
}

/**
 * An augmenter entry: a name, `{ name: options }` (a registered augmenter's options spelled
 * out, so typos show; any other's, e.g. a plugin's, as they are), or `{ name, ...options }`.
 */
function augmenterEntryJsonSchema(): Record<string, unknown> {
  const definitions = augmenters.list();
  const optionsOf = (schema: z.ZodType) => {
    const { $schema: _draft, ...options } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    return options;
  };
  return {
    anyOf: [
      {
        type: 'string',
        description: 'An augmenter with its default options',
        examples: definitions.map((definition) => definition.name),
      },
      ...definitions.map((definition) => ({
        type: 'object',
        description: definition.summary,
        properties: { [definition.name]: { anyOf: [optionsOf(definition.schema), { type: 'null' }] } },
        required: [definition.name],
        additionalProperties: false,
      })),
      {
        type: 'object',
        description: 'An augmenter by name, with its options beside the name',
        properties: { name: { type: 'string' } },
        required: ['name'],
      },
      {
        type: 'object',
        description: "An augmenter not registered here (a plugin's) with its options",
        minProperties: 1,
        maxProperties: 1,
        propertyNames: { not: { enum: definitions.map((definition) => definition.name) } },
        additionalProperties: { anyOf: [{ type: 'object' }, { type: 'null' }] },
      },
    ],
  };
}
