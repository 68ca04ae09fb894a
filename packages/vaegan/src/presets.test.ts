import { PerturbError } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VAEGAN_PRESET, VAEGAN_PRESETS, vaeGanPreset } from './presets';
import { scheduledLr } from './train';

describe('VAE-GAN presets', () => {
  it("default to Stutz et al.'s learn_manifolds.py recipe and keep perturb's old one", () => {
    expect(DEFAULT_VAEGAN_PRESET).toBe('stutz');
    expect(vaeGanPreset()).toEqual({
      widths: [64, 128],
      reconstruction: 'absolute',
      batchNorm: true,
      epochs: 60,
      batchSize: 100,
      lr: 0.005,
      lrDecay: 0.9,
      weightDecay: 1e-4,
    });
    expect(vaeGanPreset('perturb-v0')).toMatchObject({
      widths: [32, 64],
      reconstruction: 'squared',
      batchNorm: false,
      lrDecay: 1,
    });
  });

  it('hand out copies and refuse unknown names in one line', () => {
    vaeGanPreset().widths.push(1);
    expect(VAEGAN_PRESETS.stutz.widths).toEqual([64, 128]);
    expect(() => vaeGanPreset('stutz2019')).toThrow(PerturbError);
    expect(() => vaeGanPreset('stutz2019')).toThrow('there is no VAE-GAN preset "stutz2019"');
  });

  it('decay the learning rate smoothly per epoch as the official scheduler (lr·0.9^(epoch + fraction))', () => {
    expect(scheduledLr(0.005, 0.9, 1, 0)).toBeCloseTo(0.0045, 12);
    expect(scheduledLr(0.005, 0.9, 2, 0.5)).toBeCloseTo(0.005 * 0.9 ** 2.5, 12);
    expect(scheduledLr(1e-3, 1, 7, 0.3)).toBe(1e-3);
  });
});
