/** Names a config may use for augmenters, and the factories behind them. */
import { cutmix, cutout, horizontalFlip, mixup, pixelPgd, randomCrop } from '@perturb/augmenters';
import { afan, lalfa } from '@perturb/afan';
import { type Augmenter, PerturbError } from '@perturb/core';
import { type Glow, loadGlow } from '@perturb/flows';
import { latentAdversarial, latentRandom } from '@perturb/latent-flow';
import { type VaeGan, loadClassSpecific, onManifoldAdversarial } from '@perturb/vaegan';
import type { AugmenterConfig } from './config';

/**
 * Builds one augmenter from its config options (plain JSON, validated by the augmenter's own
 * factory), loading the trained models the options name by path through `models`.
 */
export type AugmenterFactory = (options: Record<string, unknown>, models: TrainedModels) => Augmenter;

/** Trained generative models augmenters refer to by path, each loaded once per process. */
export class TrainedModels {
  private readonly flows = new Map<string, Glow>();
  private readonly vaeGans = new Map<string, VaeGan[]>();

  /** The Glow saved at `path` (a `perturb train-flow` checkpoint), frozen in eval mode. */
  flow(path: string): Glow {
    let flow = this.flows.get(path);
    if (!flow) {
      flow = loadGlow(path).eval();
      this.flows.set(path, flow);
    }
    return flow;
  }

  /** The class-specific VAE-GANs in `dir` (a `perturb train-vaegan` folder), in class order. */
  classSpecific(dir: string): VaeGan[] {
    let models = this.vaeGans.get(dir);
    if (!models) {
      models = loadClassSpecific(dir);
      this.vaeGans.set(dir, models);
    }
    return models;
  }

  /** Frees every model loaded so far. */
  dispose(): void {
    for (const flow of this.flows.values()) flow.dispose();
    for (const model of [...this.vaeGans.values()].flat()) model.dispose();
    this.flows.clear();
    this.vaeGans.clear();
  }
}

function requirePath(options: Record<string, unknown>, key: string, augmenter: string, what: string): string {
  const value = options[key];
  if (typeof value !== 'string' || value === '') {
    throw new PerturbError(
      `${augmenter} needs "${key}": the path of ${what}`,
      `add ${key}: <path> to its options`,
    );
  }
  return value;
}

/** A factory with a required option, which the library checks in untyped (YAML) options itself. */
const checkedByFactory =
  <T>(make: (options: T) => Augmenter): AugmenterFactory =>
  (options) =>
    make(options as T);

const withFlow =
  <T>(make: (options: T) => Augmenter, name: string): AugmenterFactory =>
  (options, models) =>
    make({
      ...options,
      flow: models.flow(requirePath(options, 'flow', name, 'a trained flow checkpoint')),
    } as T);

/** Every augmenter `perturb train` knows, by the name of its factory. */
export const AUGMENTERS: Record<string, AugmenterFactory> = {
  randomCrop: (o) => randomCrop(o),
  horizontalFlip: (o) => horizontalFlip(o),
  cutout: (o) => cutout(o),
  mixup: (o) => mixup(o),
  cutmix: (o) => cutmix(o),
  pixelPgd: (o) => pixelPgd(o),
  latentRandom: withFlow(latentRandom, 'latentRandom'),
  latentAdversarial: withFlow(latentAdversarial, 'latentAdversarial'),
  afan: (o) => afan(o),
  lalfa: checkedByFactory(lalfa),
  onManifoldAdversarial: (o, models) => {
    const dir = requirePath(o, 'models', 'onManifoldAdversarial', 'a folder of class-specific VAE-GANs');
    // Loaded at the first step, as the factory's own loader would, but freed with the others.
    return onManifoldAdversarial({ ...o, models: () => models.classSpecific(dir) });
  },
};

/** Builds the augmenters `configs` name, loading the trained models they need through `models`. */
export function buildAugmenters(configs: AugmenterConfig[], models: TrainedModels): Augmenter[] {
  return configs.map(({ name, options }) => {
    const factory = AUGMENTERS[name];
    if (!factory) {
      throw new PerturbError(
        `unknown augmenter "${name}"`,
        `use one of ${Object.keys(AUGMENTERS).join(', ')}`,
      );
    }
    return factory(options, models);
  });
}
