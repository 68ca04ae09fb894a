import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type RawSettings,
  readCompareConfig,
  readConfigFile,
  resolveConfig,
  resolveFlowConfig,
  resolveVaeGanTrainingConfig,
} from '@perturb/cli';
import { yamlBlocks } from './blocks';
import { REPO_ROOT, documents } from './documents';

type Command = 'compare' | 'train' | 'train-flow' | 'train-vaegan';

/** Each command's reading of a config, as the CLI validates it; `source` names it in errors. */
const READERS: Record<Command, (settings: RawSettings, source: string) => unknown> = {
  // Checks every run's settings and the shared models'; `out` is only named, never touched.
  compare: (settings, source) =>
    readCompareConfig(source, { out: join(tmpdir(), 'perturb-docs-configs-unused') }, settings),
  train: (settings, source) => resolveConfig([settings], source),
  'train-flow': (settings, source) => resolveFlowConfig([settings], source),
  'train-vaegan': (settings, source) => resolveVaeGanTrainingConfig([settings], source),
};

/** Why `settings` are a config of none of `commands`, or undefined when they are one's. */
function configError(
  settings: RawSettings,
  commands: readonly Command[],
  source: string,
): string | undefined {
  const errors: string[] = [];
  for (const command of commands) {
    try {
      READERS[command](settings, source);
      return undefined;
    } catch (error) {
      errors.push(`as a ${command} config: ${(error as Error).message}`);
    }
  }
  return errors.join('\n');
}

/** A docs block's possible commands: compare when it has `methods`, else any single-run command. */
const commandsOfBlock = (settings: RawSettings): Command[] =>
  'methods' in settings ? ['compare'] : ['train', 'train-flow', 'train-vaegan'];

describe('every YAML block of the READMEs and docs is a config perturb accepts', () => {
  const blocks = documents().flatMap((file) => yamlBlocks(file, readFileSync(join(REPO_ROOT, file), 'utf8')));

  it('finds them', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  for (const block of blocks) {
    const key = `${block.file}#${block.index} (line ${block.line})`;
    if (block.fragment) {
      it.skip(`${key} is marked fragment`, () => {});
    } else if (/^plugins:/m.test(block.code)) {
      // Its augmenters exist only once the plugin's own project is built and loaded.
      it.skip(`${key} loads plugins`, () => {});
    } else {
      it(`${key} validates`, () => {
        const settings = parse(block.code) as RawSettings;
        expect(configError(settings, commandsOfBlock(settings), key) ?? '').toBe('');
      });
    }
  }

  it('would catch a renamed setting', () => {
    const renamed = { levels: 3, steps: 8 };
    expect(configError(renamed, commandsOfBlock(renamed), 'a block')).toMatch(/"steps" is not a setting/);
    const grid = { base: { epochs: 1 }, methods: { a: { augmenters: ['nope'] } } };
    expect(configError(grid, commandsOfBlock(grid), 'a block')).toMatch(/unknown augmenter "nope"/);
  });
});

// The repository's experiments take hours; a setting renamed in a schema should fail here, not
// after a sitting's first shared model has trained.
describe('every experiments/*.yaml config validates against the command its header names', () => {
  const dir = join(REPO_ROOT, 'experiments');
  // Claims lists are read by experiments/paired-claims.mjs, not by a perturb command.
  const configs = readdirSync(dir).filter((name) => name.endsWith('.yaml') && !name.endsWith('.claims.yaml'));

  it('finds them', () => {
    expect(configs.length).toBeGreaterThanOrEqual(10);
  });

  it.each(configs)('%s', (name) => {
    const path = join(dir, name);
    // e.g. "# Run: perturb train-flow --config <this>"
    const command = /perturb (compare|train-flow|train-vaegan|train) --config/.exec(
      readFileSync(path, 'utf8'),
    )?.[1];
    expect(command, `${name} should say in its header which perturb command runs it`).toBeDefined();
    expect(configError(readConfigFile(path), [command as Command], path) ?? '').toBe('');
  });
});
