import { type BuildEnvironment, augmenters, createAugmenter, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LALFA_PRESETS, afanDefinition, lalfaDefinition } from './index';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const env: BuildEnvironment = {
  augmenter: () => {
    throw new Error('no nested augmenters here');
  },
  shared: (_key, build) => build(),
};
const build = (name: string, options: unknown) => createAugmenter(augmenters.get(name), options, env);

describe('afan and lalfa in configs', () => {
  it('are registered on import', () => {
    expect(augmenters.get('afan')).toBe(afanDefinition);
    expect(augmenters.get('lalfa')).toBe(lalfaDefinition);
  });

  it('build from plain options, with the defaults filled in', () => {
    expect(build('afan', {}).name).toBe('afan');
    const plugin = build('lalfa', { sites: ['stem', 'features'], name: 'l' });
    expect(plugin.name).toBe('l');
    expect(plugin.state?.()).toEqual({ weights: [0.5, 0.5], velocity: [0, 0] });
  });

  it("lalfa's presets give the official script's nine sites, under any option given", () => {
    const official = build('lalfa', { preset: 'resnet56-paper' }).state?.() as { weights: number[] };
    expect(official.weights).toEqual(Array(9).fill(1 / 9));
    expect(LALFA_PRESETS['resnet56-paper'].sites[8]).toBe('stage3');
    expect(LALFA_PRESETS['resnet20-paper'].sites).toHaveLength(9);
    const narrowed = build('lalfa', { preset: 'resnet20-paper', sites: ['stem', 'stage1'] });
    expect(narrowed.state?.()).toEqual({ weights: [0.5, 0.5], velocity: [0, 0] });
    expect(() => build('lalfa', { preset: 'resnet56' })).toThrow(
      /"preset" is "resnet56" .* use one of resnet56-paper, resnet20-paper/,
    );
  });

  it.each([
    ['afan', { epsilom: 0.1 }, /"epsilom" is not a setting of afan options\. did you mean "epsilon"\?/],
    ['afan', { sites: 'stage1' }, /"sites" is "stage1" in afan options\. use a list/],
    ['afan', { sites: ['stage1', 'stage1'] }, /"sites" .* list each site once/],
    ['afan', { strengths: [0.5], afnStrengths: [1] }, /"afnStrengths" .* not one of the strengths/],
    ['afan', { randomInit: true }, /"randomInit" is true .* needs a finite epsilon/],
    ['afan', { bnMode: 'frozen' }, /"bnMode" is "frozen" .* use one of train, eval/],
    ['lalfa', {}, /"sites" is missing in lalfa options/],
    ['lalfa', { sites: ['stem'], weightLr: -1 }, /"weightLr" is -1 in lalfa options\. use a value ≥ 0/],
  ])('%s refuses %o in one line', (name, options, message) => {
    expect(() => build(name, options)).toThrow(message);
  });
});
