import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The `perturb` bin as a project that depends on @perturb/cli has it. */
const perturb = join(
  dirname(createRequire(import.meta.url).resolve('@perturb/cli/package.json')),
  'dist',
  'bin.js',
);

describe('gaussianNoise as a plugin of the perturb command', () => {
  it('runs in perturb compare through plugins:, in every run it starts', () => {
    // Inside this package (runs/ is ignored), so the plugin's package name resolves from the
    // config's folder as it does in a user's project.
    mkdirSync(join(exampleDir, 'runs'), { recursive: true });
    const dir = mkdtempSync(join(exampleDir, 'runs', 'compare-'));
    writeFileSync(
      join(dir, 'grid.yaml'),
      `plugins: [perturb-example-custom-augmenter/plugin]
base: { model: lenet5, trainSize: 20, testSize: 20, batchSize: 10, epochs: 1 }
methods:
  baseline: {}
  noise: { augmenters: [{ gaussianNoise: { std: 0.1 } }] }
jobs: 2
out: ${join(dir, 'out')}
`,
    );
    const env = { ...process.env, PERTURB_WASM_THREADS: '1' };
    const run = spawnSync(process.execPath, [perturb, 'compare', '--config', join(dir, 'grid.yaml')], {
      env,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(
      readFileSync(join(dir, 'out', 'runs', 'noise', 'n20-s0', 'result.json'), 'utf8'),
    );
    expect(result.config.augmenters).toEqual([{ name: 'gaussianNoise', options: { std: 0.1 } }]);
    expect(result.config.plugins).toEqual([join(exampleDir, 'dist', 'plugin.js')]);
    expect(existsSync(join(dir, 'out', 'report.md'))).toBe(true);

    // The same config with a typo in the plugin's options fails before any training.
    writeFileSync(
      join(dir, 'typo.yaml'),
      readFileSync(join(dir, 'grid.yaml'), 'utf8').replace('std:', 'sdt:'),
    );
    const typo = spawnSync(process.execPath, [perturb, 'compare', '--config', join(dir, 'typo.yaml')], {
      env,
      encoding: 'utf8',
    });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(
      /"sdt" is not a setting of .*typo\.yaml \(method noise\) \(augmenter gaussianNoise\)\. did you mean "std"\?/,
    );
  });
});
