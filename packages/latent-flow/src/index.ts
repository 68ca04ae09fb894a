export { latentRandom, latentRandomSchema, latentRandomDefinition } from './latent-random';
export type { LatentRandomOptions } from './latent-random';
export {
  latentAdversarial,
  latentAdversarialSchema,
  latentAdversarialDefinition,
  LATENT_ADVERSARIAL_PRESETS,
} from './latent-adversarial';
export type { LatentAdversarialOptions, LatentAdversarialPreset } from './latent-adversarial';
export { decodePerturbed } from './flow-perturbation';
