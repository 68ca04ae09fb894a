/**
 * @perturb/vaegan: LA-VAE-GAN (Stutz, Hein & Schiele, CVPR 2019) for perturb — class-specific
 * VAE-GANs, their training, and on-manifold adversarial training as an `Augmenter` plugin.
 */
export { VaeGan, STUTZ_BETA, resolveVaeGanConfig } from './vaegan';
export type { VaeGanConfig, VaeGanOptions } from './vaegan';
export { Encoder, Decoder, Discriminator } from './networks';
export type { NetworkShape } from './networks';
export { reconstructionError, klDivergence, ganLoss } from './losses';
export type { ReconstructionKind } from './losses';
export { VAEGAN_PRESETS, VAEGAN_PRESET_NAMES, DEFAULT_VAEGAN_PRESET, vaeGanPreset } from './presets';
export type { VaeGanPreset, VaeGanPresetName } from './presets';
export { vaeGanStep, createVaeGanOptimizers, PARAMETER_GROUPS } from './step';
export type { VaeGanLosses, VaeGanOptimizers, ParameterGroup } from './step';
export { trainVaeGan, computeCodeRange, scheduledLr } from './train';
export { vaeGanGridPng } from './grid';
export type {
  TrainVaeGanOptions,
  TrainVaeGanResult,
  VaeGanProgress,
  VaeGanEpochRecord,
  VaeGanCheckpointMeta,
} from './train';
export type { VaeGanData } from './data';
export {
  trainClassSpecific,
  vaeGanFromCheckpoint,
  loadClassSpecific,
  classCheckpointName,
} from './class-specific';
export type { TrainClassSpecificOptions, ClassSpecificResult } from './class-specific';
export {
  onManifoldAdversarial,
  onManifoldAttack,
  onManifoldAttackSchema,
  onManifoldAdversarialSchema,
  onManifoldAdversarialDefinition,
} from './on-manifold';
export type { OnManifoldOptions, OnManifoldAttackOptions, OnManifoldAttackResult } from './on-manifold';
