/**
 * AugMix's mixing of one image (Hendrycks et al. 2020, `google-research/augmix`
 * `augment_and_mix`): `width` chains of 1–3 random operations at a random level up to
 * `severity`, mixed with Dirichlet(α) weights, then blended with the original by m ~ Beta(α, α).
 */
import type { Rng } from '@perturb/core';
import { sampleBeta, sampleGamma } from '../sampling';
import type { Sampling } from './geometry-ops';
import type { Image } from './image';
import { OPS, type OpName } from './spaces';

/** An AugMix operation: its value at a level in [0.1, severity] for this image, and whether it takes a random sign. */
interface LevelOp {
  readonly name: OpName;
  readonly value: (level: number, image: Image) => number;
  readonly signed: boolean;
}

/** `int_parameter` of the AugMix code: ⌊level · max / 10⌋. */
const int = (level: number, max: number) => Math.floor((level * max) / 10);

/** `float_parameter` of the AugMix code: level · max / 10. */
const float = (level: number, max: number) => (level * max) / 10;

/**
 * The AugMix code's operations (`augmentations.py`). Its translations reach a third of the side
 * (it hard-codes 32 pixels); solarize thresholds are 8-bit levels 256 − ⌊level·25.6⌋.
 */
const AUGMIX_OPS: readonly LevelOp[] = [
  { name: 'autoContrast', value: () => 0, signed: false },
  { name: 'equalize', value: () => 0, signed: false },
  { name: 'posterize', value: (level) => 4 - int(level, 4), signed: false },
  { name: 'rotate', value: (level) => int(level, 30), signed: true },
  { name: 'solarize', value: (level) => (256 - int(level, 256)) / 255, signed: false },
  { name: 'shearX', value: (level) => float(level, 0.3), signed: true },
  { name: 'shearY', value: (level) => float(level, 0.3), signed: true },
  { name: 'translateX', value: (level, image) => int(level, image.width / 3), signed: true },
  { name: 'translateY', value: (level, image) => int(level, image.height / 3), signed: true },
];

/** `augmentations_all` adds the enhancements AugMix leaves out by default (they overlap ImageNet-C): factors 0.1–1.9. */
const ENHANCEMENTS: readonly LevelOp[] = (['color', 'contrast', 'brightness', 'sharpness'] as const).map(
  (name) => ({ name, value: (level: number) => float(level, 1.8) + 0.1 - 1, signed: false }),
);

/** The settings of one AugMix mixing. */
export interface AugMixSettings {
  readonly severity: number;
  readonly width: number;
  /** Operations per chain; undefined draws 1–3 per chain. */
  readonly depth?: number;
  readonly alpha: number;
  readonly allOps: boolean;
  readonly sampling: Sampling;
}

/** One AugMix mixture of `image`, drawing everything from `rng`. */
export function augMixImage(image: Image, rng: Rng, settings: AugMixSettings): Image {
  const { severity, width, depth, alpha, allOps, sampling } = settings;
  const ops = allOps ? [...AUGMIX_OPS, ...ENHANCEMENTS] : AUGMIX_OPS;
  const gammas = Array.from({ length: width }, () => sampleGamma(rng, alpha));
  const total = gammas.reduce((a, b) => a + b, 0);
  const m = sampleBeta(rng, alpha, alpha);
  const mix = new Float32Array(image.data.length);
  for (const gamma of gammas) {
    let chain = image;
    const steps = depth ?? 1 + rng.int(3);
    for (let s = 0; s < steps; s++) {
      const op = ops[rng.int(ops.length)];
      let value = op.value(rng.uniform(0.1, severity), chain);
      if (op.signed && rng.bernoulli(0.5)) value = -value;
      chain = OPS[op.name](chain, value, sampling);
    }
    for (let i = 0; i < mix.length; i++) mix[i] += (gamma / total) * chain.data[i];
  }
  const out = image.data.map((v, i) => (1 - m) * v + m * mix[i]);
  return { ...image, data: out };
}
