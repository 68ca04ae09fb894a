import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gridRuns, readCompareConfig } from './compare';
import { readConfigFile, resolveConfig } from './config';
import { resolveFlowConfig } from './flow-config';

// The repository's experiments take hours; a setting renamed in a schema should fail here, not
// after a sitting's first shared model has trained.
const experiments = resolve(dirname(fileURLToPath(import.meta.url)), '../../../experiments');
// Claims lists are read by experiments/paired-claims.mjs, not by a perturb command.
const configs = readdirSync(experiments).filter(
  (name) => name.endsWith('.yaml') && !name.endsWith('.claims.yaml'),
);

/** The command a config's header says runs it, e.g. "perturb train-flow --config <this>". */
function commandOf(path: string): string | undefined {
  return /perturb (train-flow|train|compare) --config/.exec(readFileSync(path, 'utf8'))?.[1];
}

describe('the experiments/ configs', () => {
  it('are all found', () => {
    expect(configs.length).toBeGreaterThanOrEqual(10);
  });

  it.each(configs)('%s names its command and validates against it', (name) => {
    const path = join(experiments, name);
    const command = commandOf(path);
    expect(command, `${name} should say which perturb command runs it`).toBeDefined();
    if (command === 'compare') {
      // Validates every run's settings and the shared models'; the out folder is not touched.
      expect(gridRuns(readCompareConfig(path, { out: join(experiments, 'unused') })).length).toBeGreaterThan(
        0,
      );
    } else if (command === 'train-flow') {
      expect(resolveFlowConfig([readConfigFile(path)], path).epochs).toBeGreaterThan(0);
    } else {
      expect(resolveConfig([readConfigFile(path)], path).epochs).toBeGreaterThan(0);
    }
  });
});
