/** Each method as the augmenters it hands to the trainer. */
import { afan } from '@perturb/afan';
import { horizontalFlip, randomCrop } from '@perturb/augmenters';
import { type Augmenter, check } from '@perturb/core';
import type { Glow } from '@perturb/flows';
import { latentAdversarial } from '@perturb/latent-flow';
import type { Method } from './options';

/** What the methods may need besides their own settings. */
export interface MethodContext {
  /** The trained flow; required by `la-glow-adversarial`. */
  flow?: Glow;
  /** The feature site A-FAN attacks. */
  afanSite: string;
}

/**
 * Classical training (crop + flip, the paper's baseline) plus the method's own augmenter: LA-Glow
 * with flow-lp's default adversarial setting (L∞, ε = α = 0.05, one PGD step in latent space),
 * A-FAN with the paper's classification setting (PGD-5 on the site's features, ½ clean + ½
 * adversarial loss).
 */
export function methodAugmenters(method: Method, context: MethodContext): Augmenter[] {
  const classical = [randomCrop({ padding: 4 }), horizontalFlip()];
  switch (method) {
    case 'baseline':
      return classical;
    case 'la-glow-adversarial':
      check(
        context.flow,
        'la-glow-adversarial was asked for without a flow',
        'pass the trained Glow as flow',
      );
      return [...classical, latentAdversarial({ flow: context.flow, preset: 'flow-lp' })];
    case 'a-fan':
      return [...classical, afan({ sites: [context.afanSite] })];
  }
}

/** What the report says about each method. */
export const METHOD_NOTES: Record<Method, string> = {
  baseline: 'random crop (padding 4) + horizontal flip',
  'la-glow-adversarial': 'crop + flip, then PGD in the Glow latent space (flow-lp preset)',
  'a-fan': 'crop + flip, plus A-FAN feature PGD-5 (½ clean + ½ adversarial loss)',
};
