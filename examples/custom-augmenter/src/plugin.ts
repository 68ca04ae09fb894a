/**
 * The plugin module: importing it registers `gaussianNoise` in perturb's augmenter registry,
 * with the schema of its options, so configs can name it once they load this module:
 *
 * ```yaml
 * plugins: [perturb-example-custom-augmenter/plugin]
 * augmenters: [{ gaussianNoise: { std: 0.1 } }]
 * ```
 */
import { defineAugmenter, z } from '@perturb/core';
import { gaussianNoise } from './gaussian-noise';

export const gaussianNoiseDefinition = defineAugmenter({
  name: 'gaussianNoise',
  summary: 'adds Gaussian noise to every pixel (an example plugin)',
  schema: z.strictObject({
    std: z.number().min(0).default(0.05).describe('Standard deviation, in pixel units of [0, 1] images'),
  }),
  create: (options) => gaussianNoise(options),
});
