import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LalfaAugmenter } from '@perturb/afan';
import { Rng, TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmenters } from '@perturb/core';
import { AugmenterBuilder, buildAugmenters } from './augmenter-registry';
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
    const builder = new AugmenterBuilder();
    const [plugin] = buildAugmenters(config.augmenters, builder) as [LalfaAugmenter];
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
      // The trainer hands the stage the gradient of the step's loss with respect to w; given
      // (1, −1), w moves by weightLr·(∇ + λ·sign w) = 0.05·(2, 0) and back onto the simplex.
      stage.learned!.learn([tf.scalar(1), tf.scalar(-1)]);
      return stage.terms().map((term) => term.name);
    });
    expect(names).toEqual(['lalfa-2/stem', 'lalfa-2/features']);
    const [w0, w1] = plugin.weights();
    expect(w0).toBeCloseTo(0.45, 12);
    expect(w1).toBeCloseTo(0.55, 12);
    model.dispose();
    builder.dispose();
  });

  it("refuses lalfa options the library refuses, with the library's fix", () => {
    const build = (options: Record<string, unknown>) =>
      buildAugmenters([{ name: 'lalfa', options }], new AugmenterBuilder());
    expect(() => build({})).toThrow(
      /"sites" is missing in lalfa options \(augmenters\[0\]\)\. list the feature sites to perturb, or name a preset that gives them/,
    );
    expect(() => build({ sites: ['stem'], weightLr: -1 })).toThrow(
      /"weightLr" is -1 in lalfa options \(augmenters\[0\]\)\. use a value ≥ 0/,
    );
  });

  it('offers the closest registered name when a config names an unknown augmenter', () => {
    expect(augmenters.names()).toEqual(
      expect.arrayContaining(['randomCrop', 'pipeline', 'oneOf', 'pixelPgd', 'latentAdversarial', 'lalfa']),
    );
    expect(() => buildAugmenters([{ name: 'lalfaa', options: {} }], new AugmenterBuilder())).toThrow(
      /unknown augmenter "lalfaa"\. did you mean "lalfa"\? registered augmenters: .*afan, lalfa/,
    );
  });

  it('builds combinators written in YAML, with checked options at every depth', () => {
    const config = resolveConfig([
      readConfigFile(
        yamlFile(
          [
            'augmenters:',
            '  - name: oneOf',
            '    options:',
            '      augmenters:',
            '        - { name: randomCrop, options: { padding: 4 } }',
            '        - { name: horizontalFlip }',
            '  - cutout',
          ].join('\n'),
        ),
      ),
    ]);
    const built = buildAugmenters(config.augmenters, new AugmenterBuilder());
    expect(built.map((a) => a.name)).toEqual(['oneOf(randomCrop|horizontalFlip)', 'cutout']);

    const typo = resolveConfig([
      readConfigFile(
        yamlFile(
          'augmenters:\n  - name: pipeline\n    options: { augmenters: [{ name: randomCrop, options: { paddin: 4 } }] }\n',
        ),
      ),
    ]);
    expect(() => buildAugmenters(typo.augmenters, new AugmenterBuilder())).toThrow(
      /"paddin" is not a setting of randomCrop options \(pipeline augmenters\[0\]\)\. did you mean "padding"\?/,
    );
  });

  it('builds a shared value once per key and disposes it with the builder', () => {
    const builder = new AugmenterBuilder();
    const disposed: string[] = [];
    let builds = 0;
    const load = () =>
      builder.shared(
        'flow:a',
        () => `flow ${++builds}`,
        (value) => disposed.push(value),
      );
    expect([load(), load()]).toEqual(['flow 1', 'flow 1']);
    builder.dispose();
    expect(disposed).toEqual(['flow 1']);
    expect(load()).toBe('flow 2');
  });
});
