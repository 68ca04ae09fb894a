/** Where `npm run train-weights` writes, under public/, what the page fetches. */

/** The two image sets the page loads: `test` to explore, `train` to train on. */
export type PageSplit = 'train' | 'test';

/** Gzipped IDX files, named as Fashion-MNIST's own. */
export const DATA_FILES: Record<PageSplit, { images: string; labels: string }> = {
  train: { images: 'data/train-images-idx3-ubyte.gz', labels: 'data/train-labels-idx1-ubyte.gz' },
  test: { images: 'data/t10k-images-idx3-ubyte.gz', labels: 'data/t10k-labels-idx1-ubyte.gz' },
};

export const MODEL_FILES = {
  glow: 'models/glow.safetensors',
  classifier: 'models/classifier.safetensors',
} as const;

/** What the models scored when they were trained (JSON). */
export const TRAINING_SUMMARY = 'models/training.json';
