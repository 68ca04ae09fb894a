/**
 * `perturb list`: what configs can name, from core's registries (plugins included): augmenters
 * with their options and defaults, models with their feature sites, datasets with their options.
 */
import {
  PerturbError,
  Rng,
  augmenters,
  closest,
  datasets,
  initBackend,
  models,
  parseOptions,
  z,
} from '@perturb/core';
import './builtins';

export const LIST_KINDS = ['augmenters', 'models', 'datasets'] as const;

/** The listing of `kind` (every kind when undefined), as text. */
export async function listRegistered(kind?: string): Promise<string> {
  if (kind !== undefined && !(LIST_KINDS as readonly string[]).includes(kind)) {
    const suggestion = closest(kind, LIST_KINDS);
    throw new PerturbError(
      `perturb list has no "${kind}"`,
      `${suggestion ? `did you mean "${suggestion}"? ` : ''}use one of ${LIST_KINDS.join(', ')}`,
    );
  }
  const sections: string[] = [];
  if (!kind || kind === 'augmenters') sections.push(listAugmenters());
  if (!kind || kind === 'models') sections.push(await listModels());
  if (!kind || kind === 'datasets') sections.push(listDatasets());
  return sections.join('\n');
}

function listAugmenters(): string {
  const lines = ['augmenters (options: default):'];
  for (const definition of augmenters.list()) {
    lines.push(`  ${definition.name} — ${definition.summary}`);
    for (const option of describeOptions(definition.schema)) lines.push(`      ${option}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line per option of an options schema: `name: default — description`. */
function describeOptions(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { default?: unknown; description?: string }>;
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const fallback = 'default' in property ? `: ${JSON.stringify(property.default)}` : '';
    return `${name}${fallback}${property.description ? ` — ${property.description}` : ''}`;
  });
}

async function listModels(): Promise<string> {
  // Sites belong to built models: each is built once, small, on the cpu backend.
  await initBackend({ backend: 'cpu', log: false });
  const lines = ['models (feature sites; options: default):'];
  for (const definition of models.list()) {
    const options = parseOptions(definition.schema, {}, `${definition.name} options`);
    const model = definition.create(options, { numClasses: 10, inputShape: [32, 32, 3], rng: new Rng(0) });
    lines.push(`  ${definition.name} — ${definition.summary}; sites: ${model.sites.join(', ')}`);
    for (const option of describeOptions(definition.schema)) lines.push(`      ${option}`);
    model.dispose();
  }
  return `${lines.join('\n')}\n`;
}

function listDatasets(): string {
  const lines = ['datasets (options: default):'];
  for (const definition of datasets.list()) {
    lines.push(`  ${definition.name} — ${definition.summary}`);
    for (const option of describeOptions(definition.schema)) lines.push(`      ${option}`);
  }
  return `${lines.join('\n')}\n`;
}
