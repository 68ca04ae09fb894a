import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  classifierPgd,
  defineAugmenter,
  LA_GLOW_PGD,
  parseOptions,
  pgdAugmenterShape,
  withPresets,
  z,
} from '@perturb/core';

/** Named settings from the papers. */
export const PIXEL_PGD_PRESETS = {
  /** The pixel-space baseline of LA-Glow (Yüksel et al. 2021, flow-lp `pert/pgd.yaml`): L∞, ε = α = 0.05, one step, random start. The defaults. */
  'la-glow-baseline': LA_GLOW_PGD,
} as const;

/** The name of an entry of {@link PIXEL_PGD_PRESETS}. */
export type PixelPgdPreset = keyof typeof PIXEL_PGD_PRESETS;

const pixelPgdFields = z.strictObject(pgdAugmenterShape('pixelPgd', PIXEL_PGD_PRESETS));

/** The options of {@link pixelPgd}, checked, with every default. */
export const pixelPgdSchema = withPresets(PIXEL_PGD_PRESETS, pixelPgdFields);

/** Options of {@link pixelPgd}: the PGD options, in pixel space (every field optional). */
export type PixelPgdOptions = z.input<typeof pixelPgdFields>;

/**
 * Projected gradient ascent on the loss of `ctx.model`'s task (cross-entropy, per pixel for
 * dense models), in pixel space: each step
 * moves x' by α along sign(∇) (L∞) or ∇/‖∇‖₂ per sample (L2), projects x' − x back into the
 * ε-ball and clamps x' to [0, 1] (core's `classifierPgd`). Gradients are taken over the input
 * only; the model's parameters are never changed. Labels, label maps and boxes are returned
 * unchanged.
 * Call it outside any gradient scope, as the trainer does.
 *
 * @param options the options; `preset` names start values from {@link PIXEL_PGD_PRESETS}.
 */
export function pixelPgd(options: PixelPgdOptions = {}): Augmenter {
  return createPixelPgd(parseOptions(pixelPgdSchema, options, 'pixelPgd options'));
}

function createPixelPgd(settings: z.output<typeof pixelPgdSchema>): Augmenter {
  return {
    name: settings.name,
    targets: ['labelMap', 'boxes'],
    transform(batch, ctx) {
      const [adversarial] = classifierPgd(
        ctx.model,
        batch,
        settings,
        {
          parts: [batch.x],
          around: 'parts',
          logits: ([x], options) => ctx.model.logits(x as tf.Tensor4D, options),
          constrain: (images) => images.map((x) => tf.clipByValue(x, 0, 1)),
        },
        ctx.rng,
      );
      return { ...batch, x: adversarial as tf.Tensor4D };
    },
  };
}

/** `pixelPgd` as configs name it. */
export const pixelPgdDefinition = defineAugmenter({
  name: 'pixelPgd',
  summary: "PGD on the classifier's cross-entropy in pixel space (L∞ or L2), images kept in [0, 1]",
  schema: pixelPgdSchema,
  create: createPixelPgd,
});
