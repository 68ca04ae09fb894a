/**
 * @perturb/afan: A-FAN (adversarial feature augmentation and normalization, Chen et al.) and its
 * learnable multi-site variant L-ALFA, as `Augmenter` plugins for the perturb trainer, plus the
 * building blocks (feature PGD, A-FN) and a diagnostics report.
 */
export { afan, afanSchema, afanDefinition, resolveAfanOptions, perturbedFeatures } from './afan';
export type { AfanOptions, AfanSettings, Perturbation } from './afan';
export { lalfa, lalfaSchema, lalfaDefinition, LALFA_PRESETS } from './lalfa';
export type { LalfaOptions, LalfaPreset, LalfaState, LalfaAugmenter } from './lalfa';
export { featurePgd, AFAN_ATTACK_DEFAULTS } from './pgd';
export { adversarialFeatureNormalization, channelMoments } from './normalization';
export { afanDiagnostics } from './diagnostics';
export type { SiteDiagnostics } from './diagnostics';
export type {
  FeatureAttackOptions,
  LossWeightOptions,
  FeaturePluginOptions,
  PluginSettings,
} from './options';
