import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type BuildEnvironment,
  Rng,
  TinyClassifier,
  augmenters,
  buildAugmenter,
  initBackend,
  stepContext,
} from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import './index';
import { mixClean } from './combinators/mix-clean';
import { oneOf } from './combinators/one-of';
import { pipeline } from './combinators/pipeline';
import { randomApply } from './combinators/random-apply';
import { autoAugment } from './auto-augment';
import { augMix } from './augmix';
import { randomCrop } from './crop';
import { randAugment } from './rand-augment';
import { trivialAugment } from './trivial-augment';
import { horizontalFlip } from './flip';
import { randomBatch, values } from './testing/fixtures';

/** Builds config entries the way the CLI does, from core's registry. */
const env: BuildEnvironment = {
  augmenter: (entry, where) => buildAugmenter(entry, env, where),
  shared: (_key, build) => build(),
};
const build = (entry: unknown) => buildAugmenter(entry, env, 'augmenters[0]');

/** Counts its calls; its state is the count. */
function counter(name: string): Augmenter & { count: () => number } {
  let count = 0;
  return {
    name,
    transform: (b) => (count++, b),
    state: () => ({ count }),
    loadState: (state) => {
      count = (state as { count: number }).count;
    },
    count: () => count,
  };
}

describe('augmenter definitions', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('registers every augmenter and combinator of the package by its factory name', () => {
    for (const name of [
      'randomCrop',
      'centerCrop',
      'resize',
      'horizontalFlip',
      'cutout',
      'mixup',
      'cutmix',
      'pipeline',
      'oneOf',
      'randomApply',
      'mixClean',
      'randAugment',
      'trivialAugment',
      'autoAugment',
      'augMix',
    ]) {
      expect(augmenters.get(name).summary).not.toBe('');
    }
  });

  it('builds from a config entry exactly what the factory builds from the same options', () => {
    const run = (augmenter: Augmenter) =>
      values(augmenter.transform!(randomBatch(1), stepContext(model, new Rng(3), { step: 0, epoch: 0 })).x);
    expect(run(build({ name: 'randomCrop', options: { padding: 2 } }))).toEqual(
      run(randomCrop({ padding: 2 })),
    );
    expect(build('horizontalFlip').name).toBe('horizontalFlip');
    expect(run(build({ name: 'randAugment', options: { n: 1, m: 5, interpolation: 'bilinear' } }))).toEqual(
      run(randAugment({ n: 1, m: 5, interpolation: 'bilinear' })),
    );
    expect(run(build('trivialAugment'))).toEqual(run(trivialAugment()));
    expect(run(build({ name: 'autoAugment', options: { policy: 'cifar10', fill: 0.5 } }))).toEqual(
      run(autoAugment({ fill: 0.5 })),
    );
    expect(run(build({ name: 'augMix', options: { jsdWeight: 0, width: 2 } }))).toEqual(
      run(augMix({ jsdWeight: 0, width: 2 })),
    );
  });

  it('builds combinators written in YAML, children as entries', () => {
    const chooser = build({
      name: 'oneOf',
      options: {
        augmenters: [{ name: 'randomCrop', options: { padding: 4 } }, { name: 'horizontalFlip' }],
        weights: [1, 3],
      },
    });
    const ctx = () => stepContext(model, new Rng(4), { step: 2, epoch: 0 });
    const inCode = oneOf([randomCrop({ padding: 4 }), horizontalFlip()], [1, 3]);
    expect(chooser.name).toBe('oneOf(randomCrop|horizontalFlip)');
    expect(values(chooser.transform!(randomBatch(2), ctx()).x)).toEqual(
      values(inCode.transform!(randomBatch(2), ctx()).x),
    );
    const nested = build({
      name: 'pipeline',
      options: {
        name: 'classic',
        augmenters: [
          'randomCrop',
          { name: 'randomApply', options: { augmenter: 'horizontalFlip', p: 0.5, per: 'batch' } },
          { name: 'mixClean', options: { augmenter: { name: 'cutout', options: { size: 2 } }, ratio: 0.5 } },
        ],
      },
    });
    expect(nested.name).toBe('classic');
    expect(nested.transform!(randomBatch(3), ctx()).x.shape).toEqual([8, 8, 8, 3]);
  });

  it('refuses bad options in one line naming the key, the value and the fix', () => {
    expect(() => build({ name: 'randomCrop', options: { paddin: 4 } })).toThrow(
      /^"paddin" is not a setting of randomCrop options \(augmenters\[0\]\)\. did you mean "padding"\?/,
    );
    expect(() => build({ name: 'horizontalFlip', options: { p: 1.5 } })).toThrow(
      '"p" is 1.5 in horizontalFlip options (augmenters[0]). use a value ≤ 1',
    );
    expect(() => build({ name: 'randomCrop', options: { padding: -1 } })).toThrow(/use a value ≥ 0/);
    expect(() => build({ name: 'autoAugment', options: { policy: 'svhn' } })).toThrow(
      /"policy" is "svhn" in autoAugment options \(augmenters\[0\]\)\. use one of cifar10/,
    );
    expect(() => build({ name: 'randomApply', options: { augmenter: 'mixup' } })).toThrow(
      /"p" is missing in randomApply options/,
    );
    expect(() =>
      build({ name: 'oneOf', options: { augmenters: ['mixup', { name: 'cutout', options: { sise: 2 } }] } }),
    ).toThrow(/^"sise" is not a setting of cutout options \(oneOf augmenters\[1\]\)\. did you mean "size"\?/);
    expect(() => build({ name: 'pipeline', options: { augmenters: [] } })).toThrow(
      /"augmenters" is \[\] in pipeline options \(augmenters\[0\]\)\. use a list with ≥ 1 entries/,
    );
    expect(() => build({ name: 'mixClean', options: { augmenter: 'randomCorp', ratio: 0.5 } })).toThrow(
      /unknown augmenter "randomCorp"\. did you mean "randomCrop"\?/,
    );
  });

  it('refuses bad options given in code the same way, and keeps unknown keys out', () => {
    expect(() => randomCrop({ padding: 4, paddin: 1 } as never)).toThrow(
      /"paddin" is not a setting of randomCrop options/,
    );
    expect(() => randomApply(horizontalFlip(), 2)).toThrow(
      '"p" is 2 in randomApply options. use a value ≤ 1',
    );
    expect(() => mixClean(horizontalFlip(), 0.5, { exact: 'yes' as never })).toThrow(
      '"exact" is "yes" in mixClean options. use true or false',
    );
    expect(() => randomApply(horizontalFlip(), 0.5, { per: 'epoch' as never })).toThrow(
      /"per" is "epoch" in randomApply options\. use one of sample, batch/,
    );
  });

  it("passes every combinator's children's state through, nested by name", () => {
    const [a, b, c] = [counter('a'), counter('b'), counter('c')];
    const tree = pipeline([oneOf([a, b]), randomApply(c, 1), mixClean(counter('d'), 1)]);
    const batch = randomBatch(5);
    for (let step = 0; step < 4; step++) {
      tf.tidy(() => {
        tree.transform!(batch, stepContext(model, new Rng(1), { step, epoch: 0 }));
      });
    }
    const saved = JSON.parse(JSON.stringify(tree.state!()));
    expect(Object.keys(saved)).toEqual(['oneOf(a|b)', 'randomApply(c)', 'mixClean(d)']);
    expect(saved['randomApply(c)']).toEqual({ c: { count: 4 } });
    expect(saved['oneOf(a|b)'].a.count + saved['oneOf(a|b)'].b.count).toBeGreaterThanOrEqual(4);

    const [a2, b2, c2] = [counter('a'), counter('b'), counter('c')];
    pipeline([oneOf([a2, b2]), randomApply(c2, 1), mixClean(counter('d'), 1)]).loadState!(saved);
    expect([a2.count(), b2.count(), c2.count()]).toEqual([
      saved['oneOf(a|b)'].a.count,
      saved['oneOf(a|b)'].b.count,
      4,
    ]);
    expect(() => randomApply(counter('c'), 1).loadState!({ d: { count: 1 } })).toThrow(
      /the saved state of randomApply\(c\) has an entry "d"/,
    );
  });
});
