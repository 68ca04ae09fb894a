import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  readCompareConfig,
  resolveConfig,
  resolveFlowConfig,
  resolveVaeGanTrainingConfig,
} from '@perturb/cli';
import { yamlBlocks } from './blocks';
import { REPO_ROOT, documents } from './documents';

const blocks = documents().flatMap((file) => yamlBlocks(file, readFileSync(join(REPO_ROOT, file), 'utf8')));
const scratch = mkdtempSync(join(tmpdir(), 'perturb-docs-configs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Why `yaml` is no config of any perturb command, or undefined when it is one. A compare config
 * (it has `methods`) is read from a file, as `perturb compare` reads it, so every run's settings
 * are checked; any other block must be a config of `train`, `train-flow` or `train-vaegan`.
 */
function configError(yaml: string, index: number): string | undefined {
  const settings = parse(yaml) as Record<string, unknown>;
  const attempts: [string, () => unknown][] =
    settings !== null && typeof settings === 'object' && 'methods' in settings
      ? [
          [
            'compare',
            () => {
              const path = join(scratch, `block-${index}.yaml`);
              writeFileSync(path, yaml);
              return readCompareConfig(path, { out: join(scratch, 'out') });
            },
          ],
        ]
      : [
          ['train', () => resolveConfig([settings])],
          ['train-flow', () => resolveFlowConfig([settings])],
          ['train-vaegan', () => resolveVaeGanTrainingConfig([settings])],
        ];
  const errors: string[] = [];
  for (const [command, read] of attempts) {
    try {
      read();
      return undefined;
    } catch (error) {
      errors.push(`as a ${command} config: ${(error as Error).message}`);
    }
  }
  return errors.join('\n');
}

describe('every YAML block of the READMEs and docs is a config perturb accepts', () => {
  it('finds them', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  blocks.forEach((block, i) => {
    const key = `${block.file}#${block.index} (line ${block.line})`;
    if (block.fragment) {
      it.skip(`${key} is marked fragment`, () => {});
    } else if (/^plugins:/m.test(block.code)) {
      // Its augmenters exist only once the plugin's own project is built and loaded.
      it.skip(`${key} loads plugins`, () => {});
    } else {
      it(`${key} validates`, () => {
        expect(configError(block.code, i) ?? '').toBe('');
      });
    }
  });

  it('would catch a renamed setting', () => {
    expect(configError('levels: 3\nsteps: 8\n', -1)).toMatch(/"steps" is not a setting/);
    expect(configError('base: { epochs: 1 }\nmethods: { a: { augmenters: [nope] } }\n', -2)).toMatch(
      /unknown augmenter "nope"/,
    );
  });
});
