import { describe, expect, it } from 'vitest';
import { PerturbError } from './errors';
import { closest, optionKeys, parseOptions, z } from './options';
import { Registry } from './registry';

const optimizer = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('sgd'), momentum: z.number().min(0).max(1).default(0.9) }),
  z.strictObject({ name: z.literal('adam'), beta1: z.number().default(0.9) }),
]);
const config = z.strictObject({
  lr: z.number().positive().default(0.1),
  seeds: z.array(z.number().int()).default([0]),
  optimizer: optimizer.default({ name: 'sgd', momentum: 0.9 }),
  schedule: z.enum(['constant', 'cosine']).default('constant'),
  crop: z.strictObject({ padding: z.number().int().min(0).default(4) }).default({ padding: 4 }),
});

function messageOf(raw: unknown): string {
  try {
    parseOptions(config, raw, 'a.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PerturbError);
    return (error as Error).message;
  }
  throw new Error('expected a PerturbError');
}

describe('parseOptions', () => {
  it('fills defaults', () => {
    expect(parseOptions(config, {}, 'a.yaml')).toEqual({
      lr: 0.1,
      seeds: [0],
      optimizer: { name: 'sgd', momentum: 0.9 },
      schedule: 'constant',
      crop: { padding: 4 },
    });
  });

  it.each([
    [
      { optimizer: { name: 'sgd', momentun: 0.5 } },
      '"optimizer.momentun" is not a setting of a.yaml. did you mean "momentum"? valid settings of optimizer: name, momentum',
    ],
    [{ crop: { paddin: 4 } }, '"crop.paddin" is not a setting of a.yaml. did you mean "padding"?'],
    [{ lrr: 1 }, '"lrr" is not a setting of a.yaml. did you mean "lr"?'],
    [{ optimizer: { name: 'rmsprop' } }, '"optimizer.name" is "rmsprop" in a.yaml. use one of sgd, adam'],
    [{ optimizer: { name: 'adan' } }, 'did you mean "adam"?'],
    [{ optimizer: 'sgd' }, '"optimizer" is "sgd" in a.yaml. use a mapping of settings'],
    [
      { optimizer: { name: 'sgd', momentum: 'high' } },
      '"optimizer.momentum" is "high" in a.yaml. use a number',
    ],
    [{ seeds: 3 }, '"seeds" is 3 in a.yaml. use a list, e.g. [3]'],
    [{ seeds: [0, 1.5] }, '"seeds[1]" is 1.5 in a.yaml. use a whole number'],
    [{ lr: Number.NaN }, '"lr" is NaN in a.yaml'],
    [{ lr: -1 }, '"lr" is -1 in a.yaml. use a value > 0'],
    [{ optimizer: { name: 'sgd', momentum: 2 } }, 'use a value ≤ 1'],
    [
      { schedule: 'cosin' },
      '"schedule" is "cosin" in a.yaml. did you mean "cosine"? use one of constant, cosine',
    ],
  ])('refuses %j in one line', (raw, expected) => {
    const message = messageOf(raw);
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it('names what was written for a shorthand a schema expands, and its keys', () => {
    const shorthand = z.strictObject({
      optimizer: z.union([z.enum(['sgd', 'adam']).transform((name) => ({ name })), optimizer]),
    });
    const messageOfShorthand = (raw: unknown) => {
      try {
        parseOptions(shorthand, raw, 'a.yaml');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a PerturbError');
    };
    expect(parseOptions(shorthand, { optimizer: 'adam' }, 'a.yaml')).toEqual({ optimizer: { name: 'adam' } });
    expect(messageOfShorthand({ optimizer: 'rmsprop' })).toContain(
      '"optimizer" is "rmsprop" in a.yaml. use one of sgd, adam',
    );
    expect(messageOfShorthand({ optimizer: { name: 'rmsprop' } })).toContain(
      '"optimizer.name" is "rmsprop" in a.yaml. use one of sgd, adam',
    );
    expect(messageOfShorthand({ optimizer: { name: 'sgd', momentun: 0.5 } })).toContain(
      'did you mean "momentum"?',
    );
  });
});

describe('parseOptions on a plain union', () => {
  const entry = z.union([
    z.string(),
    z.strictObject({ name: z.string(), options: z.record(z.string(), z.unknown()).optional() }),
  ]);
  const list = z.strictObject({ augmenters: z.array(entry) });
  const message = (raw: unknown) => {
    try {
      parseOptions(list, raw, 'oneOf options');
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected a PerturbError');
  };

  it("reports the problem inside the one option the value's type fits", () => {
    expect(message({ augmenters: [{ name: 'a', optoins: {} }] })).toMatch(
      /^"augmenters\[0\]\.optoins" is not a setting of oneOf options\. did you mean "options"\?/,
    );
    expect(message({ augmenters: ['a', { name: 'b', options: 3 }] })).toBe(
      '"augmenters[1].options" is 3 in oneOf options. use a mapping of settings',
    );
  });

  it('lists the types that fit when the value has none of them', () => {
    expect(message({ augmenters: [3] })).toBe(
      '"augmenters[0]" is 3 in oneOf options. use a text or a mapping of settings',
    );
  });
});

describe('parseOptions on a union', () => {
  // A name alone or a mapping, as optimizers and schedules accept them.
  const shorthand = z.union([z.string().pipe(z.enum(['sgd', 'adam'])), optimizer]);

  it.each([
    ['rmsprop', '"optimizer" is "rmsprop" in a.yaml. use one of sgd, adam'],
    [{ name: 'rmsprop' }, '"optimizer.name" is "rmsprop" in a.yaml. use one of sgd, adam'],
    [3, '"optimizer" is 3 in a.yaml. use a text or a mapping of settings'],
  ])('reports %j from the option it was meant for', (value, expected) => {
    expect(() =>
      parseOptions(z.strictObject({ optimizer: shorthand }), { optimizer: value }, 'a.yaml'),
    ).toThrow(expected);
  });
});

describe('closest', () => {
  it('counts two swapped letters as one typo', () => {
    expect(closest('sdt', ['std', 'mean'])).toBe('std');
    expect(closest('trian', ['train', 'compare'])).toBe('train');
  });

  it('suggests only likely typos', () => {
    expect(closest('momentun', ['momentum', 'nesterov'])).toBe('momentum');
    expect(closest('xyz', ['momentum', 'nesterov'])).toBeUndefined();
  });
});

describe('Registry', () => {
  it('refuses a second definition under a taken name and suggests names', () => {
    const registry = new Registry<{ name: string }>('augmenter');
    const crop = { name: 'randomCrop' };
    registry.register(crop);
    registry.register(crop);
    expect(() => registry.register({ name: 'randomCrop' })).toThrow(
      /two augmenters are registered as "randomCrop"/,
    );
    registry.register({ name: 'randomCrop' }, { replace: true });
    expect(() => registry.get('randomCorp')).toThrow(
      /unknown augmenter "randomCorp". did you mean "randomCrop"\?/,
    );
  });
});

describe('optionKeys', () => {
  it('lists the top-level settings, also behind a preprocess step (presets)', () => {
    const options = z.strictObject({ labels: z.string().default('x'), steps: z.int().default(1) });
    expect(optionKeys(options)).toEqual(['labels', 'steps']);
    const preprocessed = z.preprocess((raw) => raw, options);
    expect(optionKeys(preprocessed)).toEqual(['labels', 'steps']);
    expect(() => parseOptions(preprocessed, { step: 2 }, 'a')).toThrow(/did you mean "steps"\?/);
  });
});
