/** Names a config may use for augmenters, and the factories behind them. */
import { cutmix, cutout, horizontalFlip, mixup, pixelPgd, randomCrop } from '@perturb/augmenters';
import { afan } from '@perturb/afan';
import { type Augmenter, PerturbError } from '@perturb/core';
import { type Glow, loadGlow } from '@perturb/flows';
import { latentAdversarial, latentRandom } from '@perturb/latent-flow';
import { loadClassSpecific, onManifoldAdversarial } from '@perturb/vaegan';
import type { AugmenterConfig } from './config';

type Options = Record<string, unknown>;
type Factory = (options: Options, models: TrainedModels) => Augmenter;

/** Trained generative models augmenters refer to by path, each loaded once per process. */
export class TrainedModels {
  private readonly flows = new Map<string, Glow>();

  /** The Glow saved at `path` (a `perturb train-flow` checkpoint), frozen in eval mode. */
  flow(path: string): Glow {
    let flow = this.flows.get(path);
    if (!flow) {
      flow = loadGlow(path).eval();
      this.flows.set(path, flow);
    }
    return flow;
  }

  dispose(): void {
    for (const flow of this.flows.values()) flow.dispose();
    this.flows.clear();
  }
}

function requirePath(options: Options, key: string, augmenter: string, what: string): string {
  const value = options[key];
  if (typeof value !== 'string' || value === '') {
    throw new PerturbError(
      `${augmenter} needs "${key}": the path of ${what}`,
      `add ${key}: <path> to its options`,
    );
  }
  return value;
}

const withFlow =
  <T>(make: (options: T) => Augmenter, name: string): Factory =>
  (options, models) =>
    make({
      ...options,
      flow: models.flow(requirePath(options, 'flow', name, 'a trained flow checkpoint')),
    } as T);

/** Every augmenter `perturb train` knows, by the name of its factory. */
export const AUGMENTERS: Record<string, Factory> = {
  randomCrop: (o) => randomCrop(o),
  horizontalFlip: (o) => horizontalFlip(o),
  cutout: (o) => cutout(o),
  mixup: (o) => mixup(o),
  cutmix: (o) => cutmix(o),
  pixelPgd: (o) => pixelPgd(o),
  latentRandom: withFlow(latentRandom, 'latentRandom'),
  latentAdversarial: withFlow(latentAdversarial, 'latentAdversarial'),
  afan: (o) => afan(o),
  onManifoldAdversarial: (o) => {
    const dir = requirePath(o, 'models', 'onManifoldAdversarial', 'a folder of class-specific VAE-GANs');
    return onManifoldAdversarial({ ...o, models: () => loadClassSpecific(dir) });
  },
};

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
