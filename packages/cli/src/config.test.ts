import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFingerprint, DEFAULT_CONFIG, readConfigFile, resolveConfig } from './config';

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'perturb-cfg-')), 'run.yaml');
  writeFileSync(path, text);
  return path;
}

describe('train config', () => {
  it('fills defaults and lets flags override the file', () => {
    const file = readConfigFile(
      yamlFile(
        'model: resnet32\nepochs: 5\naugmenters:\n  - randomCrop: { padding: 2 }\n  - horizontalFlip\n',
      ),
    );
    const config = resolveConfig([file, { epochs: 7, out: 'x' }]);
    expect(config).toMatchObject({
      model: 'resnet32',
      epochs: 7,
      out: 'x',
      lr: DEFAULT_CONFIG.lr,
      dataset: 'fashion-mnist-small',
    });
    expect(config.augmenters).toEqual([
      { name: 'randomCrop', options: { padding: 2 } },
      { name: 'horizontalFlip', options: {} },
    ]);
  });

  it('accepts augmenters as names, { name: options } and { name, ...options }', () => {
    expect(
      resolveConfig([{ augmenters: ['randomCrop', { horizontalFlip: null }] }]).augmenters.map((a) => a.name),
    ).toEqual(['randomCrop', 'horizontalFlip']);
    expect(resolveConfig([{ augmenters: [{ name: 'cutout', size: 8 }] }]).augmenters).toEqual([
      { name: 'cutout', options: { size: 8 } },
    ]);
  });

  it('names unknown settings and bad values with the fix', () => {
    expect(() => resolveConfig([{ epoch: 3 }], 'run.yaml')).toThrow(
      /"epoch" is not a setting of run.yaml\. did you mean "epochs"\? valid settings: .*steps/,
    );
    expect(() => resolveConfig([{ epochs: 0 }])).toThrow(/"epochs" is 0 in the config\. use a value ≥ 1/);
    expect(() => resolveConfig([{ lr: -1 }])).toThrow(/"lr" is -1/);
    expect(() => resolveConfig([{ augmenters: [[1]] }])).toThrow(
      /"augmenters\[0\]" is \[1\] in the config\. write a name \(randomCrop\) or a name with options/,
    );
  });

  it('takes a step budget instead of epochs, the later layer choosing which', () => {
    const steps = resolveConfig([{ steps: 240 }]);
    expect(steps.steps).toBe(240);
    expect(steps).not.toHaveProperty('epochs');
    expect(resolveConfig([{ epochs: 5 }, { steps: 240 }])).toMatchObject({ steps: 240 });
    const flagEpochs = resolveConfig([{ steps: 240 }, { epochs: 5, steps: undefined }]);
    expect(flagEpochs.epochs).toBe(5);
    expect(flagEpochs).not.toHaveProperty('steps');
    expect(() => resolveConfig([{ epochs: 5, steps: 240 }], 'run.yaml')).toThrow(
      /"epochs" and "steps" are both set in run\.yaml\. keep one of them/,
    );
    expect(() => resolveConfig([{ steps: 0 }])).toThrow(/"steps" is 0 in the config/);
  });

  it('names a missing or broken config file', () => {
    expect(() => readConfigFile('/nonexistent/run.yaml')).toThrow(
      /config file \/nonexistent\/run.yaml does not exist/,
    );
    expect(() => readConfigFile(yamlFile('a: [1'))).toThrow(/is not valid YAML/);
    expect(() => readConfigFile(yamlFile('- 1\n- 2\n'))).toThrow(/is not a mapping/);
  });

  it('fingerprints what changes the numbers, not the output folder', () => {
    const a = resolveConfig([{ out: 'a' }]);
    expect(configFingerprint(resolveConfig([{ out: 'b' }]))).toBe(configFingerprint(a));
    expect(configFingerprint(resolveConfig([{ seed: 1 }]))).not.toBe(configFingerprint(a));
    expect(configFingerprint(resolveConfig([{ steps: 240 }]))).not.toBe(configFingerprint(a));
  });
});
