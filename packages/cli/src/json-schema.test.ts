import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMAS, configJsonSchema } from './json-schema';

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'schemas');

describe('the JSON Schemas of the configs', () => {
  // UPDATE_SCHEMAS=1 npx vitest run src/json-schema.test.ts rewrites them after a change.
  it.each(Object.keys(CONFIG_SCHEMAS))('docs/schemas/%s.json is up to date', (command) => {
    const path = join(schemasDir, `${command}.json`);
    const text = `${JSON.stringify(configJsonSchema(command), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMAS) writeFileSync(path, text);
    expect(readFileSync(path, 'utf8'), `regenerate with UPDATE_SCHEMAS=1 (see this test)`).toBe(text);
  });

  it('spells out settings, defaults and the shorthand forms editors complete', () => {
    const train = configJsonSchema('train') as {
      properties: Record<string, { default?: unknown; anyOf?: Array<{ enum?: string[] }> }>;
      additionalProperties: boolean;
    };
    expect(train.additionalProperties).toBe(false);
    expect(train.properties.lr.default).toBe(0.1);
    expect(train.properties.schedule.anyOf?.[0].enum).toEqual(
      expect.arrayContaining(['constant', 'cosine', 'onecycle']),
    );
    const compare = configJsonSchema('compare') as {
      properties: { base: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(compare.properties.base.properties)).toContain('optimizer');
  });
});
