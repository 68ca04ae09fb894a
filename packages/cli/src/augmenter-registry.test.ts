import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LalfaAugmenter } from '@perturb/afan';
import { Rng, TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUGMENTERS, TrainedModels, buildAugmenters } from './augmenter-registry';
import { readConfigFile, resolveConfig } from './config';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'perturb-registry-')), 'run.yaml');
  writeFileSync(path, text);
  return path;
}

describe('augmenter registry', () => {
  it('builds lalfa from a config file, with the options the file gives', () => {
    const config = resolveConfig([
      readConfigFile(
        yamlFile('augmenters:\n  - lalfa: { sites: [stem, features], name: lalfa-2, weightLr: 0.05 }\n'),
      ),
    ]);
    const models = new TrainedModels();
    const [plugin] = buildAugmenters(config.augmenters, models) as [LalfaAugmenter];
    expect(plugin.name).toBe('lalfa-2');
    expect(plugin.weights()).toEqual([0.5, 0.5]);

    // One loss stage, as the trainer runs it: one term per configured site, under the configured name.
    const model = new TinyClassifier({ numClasses: 3, seed: 1 });
    const rng = new Rng(0);
    const names = tf.tidy(() => {
      const batch = {
        x: rng.uniformTensor([4, 8, 8, 1]) as tf.Tensor4D,
        y: tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), 'float32') as tf.Tensor2D,
      };
      const stage = plugin.losses!(batch, { model, rng, step: 0, epoch: 0 });
      return stage.terms().map((term) => term.name);
    });
    expect(names).toEqual(['lalfa-2/stem', 'lalfa-2/features']);
    expect(plugin.weights()).not.toEqual([0.5, 0.5]); // the plugin took its own weight step
    model.dispose();
    models.dispose();
  });

  it("refuses lalfa options the library refuses, with the library's fix", () => {
    const build = (options: Record<string, unknown>) =>
      buildAugmenters([{ name: 'lalfa', options }], new TrainedModels());
    expect(() => build({})).toThrow(/"sites" is missing in lalfa options\. set it \(expected a list\)/);
    expect(() => build({ sites: ['stem'], weightLr: -1 })).toThrow(
      /"weightLr" is -1 in lalfa options\. use a value ≥ 0/,
    );
  });

  it('offers every registered name when a config names an unknown augmenter', () => {
    expect(Object.keys(AUGMENTERS)).toContain('lalfa');
    expect(() => buildAugmenters([{ name: 'lalfaa', options: {} }], new TrainedModels())).toThrow(
      /unknown augmenter "lalfaa"\. use one of .*afan, lalfa/,
    );
  });
});
