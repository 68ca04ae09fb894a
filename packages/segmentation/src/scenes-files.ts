/** Scenes from the Fashion-MNIST subset embedded in `@perturb/datasets` (Node: it reads files). */
import { loadDataset } from '@perturb/datasets/node';
import { type SceneOptions, type SceneSet, TEST_SCENES, generateScenes } from './scenes';

/** Options of {@link embeddedScenes}. */
export interface EmbeddedSceneOptions extends Omit<SceneOptions, 'count' | 'seed'> {
  /** `'train'` draws from the 2,000 embedded training garments, `'test'` from the 1,000 test ones. Default `'train'`. */
  split?: 'train' | 'test';
  /** Number of scenes. Default 512 for train, 256 for test. */
  count?: number;
  /** Seed. Default 0 for train, {@link TEST_SCENES}' seed for test. */
  seed?: number;
}

/**
 * Scenes from the Fashion-MNIST subset embedded in `@perturb/datasets` (no download): small
 * sets for demos and tests. Train and test scenes use disjoint garments.
 */
export async function embeddedScenes(options: EmbeddedSceneOptions = {}): Promise<SceneSet> {
  const split = options.split ?? 'train';
  const garments = await loadDataset('fashion-mnist-small', { split });
  return generateScenes(garments, {
    ...options,
    count: options.count ?? (split === 'train' ? 512 : 256),
    seed: options.seed ?? (split === 'train' ? 0 : TEST_SCENES.seed),
  });
}
