export {
  latentRandom,
  latentRandomSchema,
  latentRandomDefinition,
  LATENT_RANDOM_PRESETS,
} from './latent-random';
export type { LatentRandomOptions, LatentRandomPreset } from './latent-random';
export {
  latentAdversarial,
  latentAdversarialSchema,
  latentAdversarialDefinition,
  LATENT_ADVERSARIAL_PRESETS,
} from './latent-adversarial';
export type { LatentAdversarialOptions, LatentAdversarialPreset } from './latent-adversarial';
export { batchCondition, decodePerturbed, decodeShifted } from './flow-perturbation';
export type { LatentView } from './flow-perturbation';
