import { describe, expect, it } from 'vitest';
import { DEFAULT_VAEGAN_CONFIG, resolveVaeGanTrainingConfig } from './vaegan-config';

describe('train-vaegan config', () => {
  it("fills Stutz et al.'s defaults and lets later layers override", () => {
    const config = resolveVaeGanTrainingConfig([{ epochs: 3, trainSize: 100 }, { epochs: 4 }]);
    expect(config).toMatchObject({ ...DEFAULT_VAEGAN_CONFIG, epochs: 4, trainSize: 100 });
    expect(config).toMatchObject({ latentSize: 10, beta: 2.75, agnosticBeta: 3 });
  });

  it("takes the recipe from the preset: Stutz et al.'s by default, perturb-v0's on request, each setting overridable", () => {
    expect(DEFAULT_VAEGAN_CONFIG).toMatchObject({
      preset: 'stutz',
      widths: [64, 128],
      reconstruction: 'absolute',
      epochs: 60,
      batchSize: 100,
      lr: 0.005,
      lrDecay: 0.9,
      weightDecay: 1e-4,
    });
    expect(resolveVaeGanTrainingConfig([{ preset: 'perturb-v0', epochs: 5 }])).toMatchObject({
      widths: [32, 64],
      reconstruction: 'squared',
      epochs: 5,
      batchSize: 64,
      lr: 1e-3,
      lrDecay: 1,
      weightDecay: 0,
    });
    expect(() => resolveVaeGanTrainingConfig([{ preset: 'stutz2019' }])).toThrow(/"preset"/);
  });

  it('names unknown settings and bad values with the fix', () => {
    expect(() => resolveVaeGanTrainingConfig([{ epoch: 3 }], 'v.yaml')).toThrow(
      /"epoch" is not a setting of v\.yaml\. did you mean "epochs"\? valid settings: .*latentSize/,
    );
    expect(() => resolveVaeGanTrainingConfig([{ batchSize: 0 }])).toThrow(
      /"batchSize" is 0 in the VAE-GAN config/,
    );
    expect(() => resolveVaeGanTrainingConfig([{ lr: 0 }])).toThrow(/"lr" is 0 .* use a value > 0/);
    expect(() => resolveVaeGanTrainingConfig([{ classAgnostic: 'yes' }])).toThrow(/use true or false/);
  });

  it('checks the architecture against the image size before training', () => {
    // Three halvings need sides divisible by 8; 28 is not.
    expect(() => resolveVaeGanTrainingConfig([{ padTo: 28, widths: [8, 8, 8] }])).toThrow(
      /not divisible by 2\^3 = 8/,
    );
    expect(() => resolveVaeGanTrainingConfig([{ latentSize: 0 }])).toThrow(
      /"latentSize" is 0 .* use a value ≥ 1/,
    );
  });
});
